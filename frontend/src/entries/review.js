import "../modes/predict_review.css";

// Review's keys: Space or S shows the answer; 1 Again, 2 Hard, 3 Good, 4 Easy rate the card. The
// page works without them (a link and four buttons); keys never act while typing in a field.
document.addEventListener("keydown", (event) => {
  if (event.altKey || event.ctrlKey || event.metaKey || event.repeat) return;
  const target = event.target;
  if (target instanceof HTMLElement && target.closest("input, textarea, select, [contenteditable]")) return;
  if (event.key === " " || event.key === "s" || event.key === "S") {
    const show = document.querySelector("[data-show-answer]");
    if (show) {
      event.preventDefault();
      show.click();
    }
    return;
  }
  const button = document.querySelector(`[data-rating-key="${event.key}"]`);
  if (button) {
    event.preventDefault();
    button.click();
  }
});

const answer = document.querySelector("[data-answer]");
if (answer) answer.focus();
