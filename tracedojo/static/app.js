// Shared page behaviour: the quiz (answers go to the JSON API with the session's CSRF token).
"use strict";

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

async function postJson(url, body) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
    body: JSON.stringify(body),
  });
  let data = null;
  try { data = await response.json(); } catch (_) { data = null; }
  return { ok: response.ok, status: response.status, data };
}

function setupQuestion(form) {
  const feedback = form.querySelector(".feedback");
  const attempts = form.querySelector(".attempts");
  const button = form.querySelector("button[type=submit]");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const picked = form.querySelector("input[name=choice]:checked");
    if (!picked) return;
    button.disabled = true;
    form.querySelectorAll(".choice").forEach((c) => c.classList.remove("right", "wrong"));
    const url = `/api/exercises/${form.dataset.slug}/quiz/${form.dataset.question}`;
    const { ok, status, data } = await postJson(url, { choice: picked.value });
    button.disabled = false;
    feedback.hidden = false;
    if (!ok) {
      feedback.className = "feedback wrong";
      feedback.textContent = status === 401 ? "Your session has ended; log in again." : (data && (data.message || data.detail)) || `Could not check the answer (HTTP ${status}).`;
      return;
    }
    const label = picked.closest(".choice");
    if (data.correct) {
      label.classList.add("right");
      form.classList.add("solved");
      feedback.className = "feedback right";
      feedback.textContent = "✓ Right! " + (data.explanation || "");
      attempts.textContent = data.first_try ? "✓ Solved on the first try" : "✓ Solved";
      if (data.first_try) {
        const score = document.querySelector("[data-quiz-score]");
        if (score) score.textContent = String(Number(score.textContent) + 1);
      }
    } else {
      label.classList.add("wrong");
      feedback.className = "feedback wrong";
      feedback.textContent = "✗ Not quite. Hint: " + (data.hint || "look at the execution table again.");
      attempts.textContent = `${data.attempt} attempt${data.attempt === 1 ? "" : "s"} so far`;
    }
  });
}

document.querySelectorAll("form.question").forEach(setupQuestion);
