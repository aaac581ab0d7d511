// What the graded modes share: the CSRF header, JSON fetches, and the attempt's feedback shown
// once the grading is over.

export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

export async function getJSON(url) {
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.json();
}

export function readPuzzle() {
  const data = document.getElementById("puzzle-data");
  return data ? JSON.parse(data.textContent) : null;
}

// The attempt's feedback in the mode's own words (the first wrong block, blank or step).
export async function showFeedback(attemptId, result) {
  const box = document.getElementById("mode-feedback");
  if (!box) return;
  let text = "";
  try {
    text = (await getJSON(`/api/mode-attempts/${attemptId}`)).feedback;
  } catch (_) {
    text = result.status === "passed" ? "Passed." : "";
  }
  box.textContent = text;
  box.className = `mode-feedback ${result.status}`;
  box.hidden = !text;
}

export const attemptSubmission = (data) => data.submission_id;
