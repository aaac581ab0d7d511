import "../modes/modes.css";

// Predict needs no script to work (plain forms); after an answer the page reloads at #revealed,
// and the next question's field has autofocus, so the keyboard lands where the learner goes on.
const revealed = document.getElementById("revealed");
if (revealed && window.location.hash === "#revealed" && !document.querySelector("[autofocus]")) revealed.focus();
