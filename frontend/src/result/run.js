// Submitting from the code page without leaving it: the code goes to the JSON API, the rows of
// the trace beside the editor turn green or red as the live socket reports them, the verdict is
// announced, focus moves to the first failing row and the line a message names is marked.
import { follow, queueText } from "./live.js";
import { mountStepper } from "../stepper/stepper.js";
import { firstFailure, inlineCode, isFailure, namedLine, setBadge, stepNote, verdictText } from "./present.js";

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

function problemText(status, data) {
  if (status === 401) return "Your session has ended: log in again, then submit.";
  const detail = data && (data.message || data.detail);
  if (Array.isArray(detail)) return detail.map((d) => d.msg).join("; ");
  if (detail) return String(detail).replace(/^./, (c) => c.toUpperCase());
  return `The submission was not accepted (HTTP ${status}). Try again.`;
}

// ``request`` (optional) builds what a mode submits instead of the editor's code: it returns
// { url, body, submissionOf(data) } or a string saying what is missing; ``onResult(result, data)``
// runs once the grading is over (data: what the POST answered).
export function setUpRun({ form, editor, panel, request = null, onResult = null }) {
  const slug = form.dataset.slug;
  const button = form.querySelector("#submit-button");
  const verdict = panel.querySelector("#verdict");
  const problem = document.getElementById("submit-problem");
  const rows = [...panel.querySelectorAll(".run-step")];
  const link = panel.querySelector("#run-link");
  const replayLink = panel.querySelector("#replay-link");
  const replayHost = document.getElementById("replay-host"); // on the code page only
  let busy = false;
  let graded = 0; // the submission whose result was shown last: a late replay of an older one is dropped

  const rowOf = (n) => panel.querySelector(`.run-step[data-n="${n}"]`);

  function reset() {
    rows.forEach((row) => {
      row.className = "run-step pending";
      setBadge(row.querySelector(".badge"), "pending");
      row.querySelector(".run-detail").hidden = true;
      row.querySelector(".expected").textContent = "";
      row.querySelector(".actual").textContent = "";
      const note = row.querySelector(".step-message");
      note.textContent = "";
      note.hidden = true;
      row.querySelector(".show-line").hidden = true;
    });
    editor.markLine(null);
    panel.dataset.state = "running";
    verdict.className = "verdict running";
    verdict.textContent = "Grading… each step turns green or red as it is checked.";
    link.parentElement.hidden = true;
    if (replayLink) replayLink.hidden = true;
    if (replayHost) replayHost.replaceChildren();
    graded = 0;
    if (rows[0]) rows[0].classList.add("running");
  }

  function showStep(step) {
    const row = rowOf(step.n);
    if (!row) return;
    row.className = `run-step ${step.status}`;
    setBadge(row.querySelector(".badge"), step.status);
    const detail = row.querySelector(".run-detail");
    detail.hidden = !isFailure(step.status);
    row.querySelector(".expected").replaceChildren(inlineCode(step.expected));
    row.querySelector(".actual").replaceChildren(inlineCode(step.actual));
    const note = row.querySelector(".step-message");
    // Skipped rows say nothing more: the verdict names the row that stopped the run.
    const said = isFailure(step.status) ? stepNote(step) : "";
    note.replaceChildren(inlineCode(said));
    note.hidden = !said;
    const line = isFailure(step.status) ? namedLine(`${step.actual} ${step.message}`) : null;
    const show = row.querySelector(".show-line");
    show.hidden = line === null;
    if (line !== null) {
      show.dataset.line = String(line);
      show.textContent = `Show line ${line} in your code`;
    }
    const next = rowOf(step.n + 1);
    if (next && next.classList.contains("pending")) next.classList.add("running");
  }

  async function refreshAttempts() {
    try {
      const response = await fetch(location.pathname, { credentials: "same-origin" });
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      const mine = document.getElementById("attempts");
      const theirs = fresh.getElementById("attempts");
      if (mine && theirs) mine.replaceChildren(...theirs.childNodes);
    } catch (_) {
      /* the list catches up on the next visit */
    }
  }

  // The replay of the run (the learner's code with the paused line marked, their frames on the
  // lanes, the lesson's trace as a ghost, the first differing row opened) is the submission page's
  // stepper: it is taken from that page once the result is stored, and started here.
  async function mountReplay(id) {
    if (!replayHost) return;
    for (let attempt = 0; attempt < 6; attempt += 1) {
      let fresh;
      try {
        const response = await fetch(`/submissions/${id}`, { credentials: "same-origin" });
        if (!response.ok) return;
        fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      } catch (_) {
        fresh = null;
      }
      if (graded !== id) return;
      const section = fresh && fresh.getElementById("stepper");
      const source = fresh && fresh.getElementById("replay-data");
      if (section && source) {
        const root = document.importNode(section, true);
        replayHost.replaceChildren(root);
        mountStepper(root, JSON.parse(source.textContent), { linkSteps: false });
        if (replayLink) replayLink.hidden = false;
        return;
      }
      const page = fresh && fresh.querySelector(".result-page");
      if (page && page.dataset.final === "true") return; // graded, but nothing of the run to replay
      await new Promise((resolve) => setTimeout(resolve, 400 * (attempt + 1)));
    }
  }

  function showResult(id, result, posted) {
    graded = id;
    (result.steps || []).forEach(showStep);
    rows.forEach((row) => row.classList.remove("running"));
    panel.dataset.state = result.status;
    verdict.className = `verdict ${result.status}`;
    verdict.replaceChildren(inlineCode(verdictText(result, rows.length)));
    const failed = firstFailure(result.steps);
    let line = failed ? namedLine(`${failed.actual} ${failed.message}`) : null;
    if (!failed && result.status !== "passed") {
      // Nothing ran (the file did not load): the message itself is the one thing to say.
      line = namedLine(result.message);
    }
    if (line !== null) editor.markLine(line);
    link.href = `/submissions/${id}`;
    link.parentElement.hidden = false;
    busy = false;
    button.disabled = false;
    button.textContent = "Submit for grading";
    const target = failed ? rowOf(failed.n) : result.status === "passed" ? verdict : verdict;
    target.focus();
    refreshAttempts();
    mountReplay(id);
    if (onResult) onResult(result, posted);
  }

  panel.addEventListener("click", (event) => {
    const show = event.target.closest(".show-line");
    if (!show) return;
    editor.markLine(Number(show.dataset.line));
    editor.focus();
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy) return;
    problem.hidden = true;
    let call;
    if (request) {
      call = request();
    } else {
      editor.sync();
      const code = editor.getValue();
      call = code.trim() ? { url: `/api/exercises/${slug}/submissions`, body: { code } } : "Write some code first.";
    }
    if (typeof call === "string") {
      problem.textContent = call;
      problem.hidden = false;
      problem.focus();
      return;
    }
    busy = true;
    button.disabled = true;
    button.textContent = "Grading…";
    let response;
    let data = null;
    try {
      response = await fetch(call.url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
        body: JSON.stringify(call.body),
      });
      data = await response.json().catch(() => null);
    } catch (_) {
      response = null;
    }
    const id = data && (call.submissionOf ? call.submissionOf(data) : data.id);
    if (!response || !response.ok || !data || id === undefined || id === null) {
      busy = false;
      button.disabled = false;
      button.textContent = "Submit for grading";
      problem.textContent = response ? problemText(response.status, data) : "The platform could not be reached. Try again.";
      problem.hidden = false;
      problem.focus();
      return;
    }
    panel.dataset.submission = String(id);
    reset();
    panel.scrollIntoView({ block: "nearest" });
    const grading = verdict.textContent;
    let queued = false;
    const onQueue = (ahead) => {
      queued = true;
      verdict.textContent = queueText(ahead);
    };
    const onStep = (step) => {
      if (queued) verdict.textContent = grading;
      queued = false;
      showStep(step);
    };
    follow(id, { onStep, onResult: (result) => showResult(id, result, data), onQueue });
  });
}
