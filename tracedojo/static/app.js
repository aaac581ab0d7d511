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
      // The hint names the lesson's sections as this page shows them; each is a link to it.
      const parts = data.hint_parts && data.hint_parts.length ? data.hint_parts : [{ text: data.hint || "look at the execution table again." }];
      feedback.textContent = "✗ Not quite. Hint: ";
      parts.forEach((part) => {
        if (!part.href) {
          feedback.append(part.text);
          return;
        }
        const link = document.createElement("a");
        link.href = part.href;
        link.textContent = part.text;
        feedback.append(link);
      });
      attempts.textContent = `${data.attempt} attempt${data.attempt === 1 ? "" : "s"} so far`;
    }
  });
}

document.querySelectorAll("form.question").forEach(setupQuestion);

// A region that scrolls (a wide table or code block on a phone) must be reachable by keyboard to be
// scrolled (WCAG 2.1.1): such regions get tabindex=0 and a name; they lose both when they fit again.
const SCROLLERS = ".table-wrap, .codehilite, .activity-feed, pre, .scrolls";

function nameOf(region) {
  const section = region.closest("section, details, figure");
  const heading = section && section.querySelector("h1, h2, h3, summary, figcaption");
  return `${heading ? heading.textContent.trim() : "Content"} (scrollable)`;
}

function markScrollRegions() {
  document.querySelectorAll(SCROLLERS).forEach((region) => {
    if (region.closest(".cm-editor")) return;
    const scrolls = region.scrollWidth > region.clientWidth + 1 || region.scrollHeight > region.clientHeight + 1;
    const marked = region.dataset.scrollRegion === "auto";
    if (scrolls && !region.hasAttribute("tabindex")) {
      region.tabIndex = 0;
      region.classList.add("scroll-region");
      region.dataset.scrollRegion = "auto";
      if (!region.hasAttribute("aria-label") && !region.hasAttribute("aria-labelledby")) {
        region.setAttribute("role", "region");
        region.setAttribute("aria-label", nameOf(region));
      }
    } else if (!scrolls && marked) {
      region.removeAttribute("tabindex");
      region.classList.remove("scroll-region");
      delete region.dataset.scrollRegion;
      if (region.getAttribute("role") === "region") {
        region.removeAttribute("role");
        region.removeAttribute("aria-label");
      }
    }
  });
}

let scrollRegionsPending = false;
function markScrollRegionsSoon() {
  if (scrollRegionsPending) return;
  scrollRegionsPending = true;
  requestAnimationFrame(() => {
    scrollRegionsPending = false;
    markScrollRegions();
  });
}
markScrollRegions();
window.addEventListener("load", markScrollRegionsSoon);
window.addEventListener("resize", markScrollRegionsSoon);
// Pages replace sections as grading goes on, and details open: check again after any change.
new MutationObserver(markScrollRegionsSoon).observe(document.body, { childList: true, subtree: true, attributes: true, attributeFilter: ["open", "hidden", "class"] });
document.addEventListener("toggle", markScrollRegionsSoon, true);
