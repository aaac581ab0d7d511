import "../modes/predict_review.css";

// Predict works without a script (plain forms): after each answer the page comes back with the
// revealed row on top and autofocus on the next question's field (or on "Start a new run").
