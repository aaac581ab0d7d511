// The submission page: follows the grading live (rows turn green or red, the verdict is
// announced), then fetches the page once more for the sections stored with the result.
import { follow, queueText } from "../result/live.js";
import { mountStepper } from "../stepper/stepper.js";
import { firstFailure, inlineCode, isFailure, setBadge, stepNote } from "../result/present.js";

const page = document.querySelector(".result-page");
if (page && page.dataset.final !== "true") {
  const id = page.dataset.submission;

  function showStep(step) {
    const row = document.querySelector(`tr.step[data-n="${step.n}"]`);
    if (!row) return;
    row.className = `step ${step.status}`;
    setBadge(row.querySelector(".badge"), step.status);
    row.querySelector(".expected").replaceChildren(inlineCode(step.expected));
    const actual = row.querySelector(".actual");
    actual.replaceChildren(inlineCode(step.actual));
    const note = isFailure(step.status) ? stepNote(step) : step.status === "skipped" ? step.message : "";
    if (note) {
      const message = document.createElement("div");
      message.className = "step-message";
      message.append(inlineCode(note));
      actual.append(message);
    }
    const next = document.querySelector(`tr.step[data-n="${step.n + 1}"]`);
    if (next && next.classList.contains("pending")) next.classList.add("running");
  }

  function overallMessage(result) {
    const message = document.getElementById("overall-message");
    const failed = firstFailure(result.steps);
    message.className = `message ${result.status}`;
    if (failed) {
      message.textContent = "";
      const link = document.createElement("a");
      link.href = `#step-${failed.n}`;
      link.textContent = `Step ${failed.n} did not pass: ${failed.title}.`;
      message.append(link, " Its row says what was expected and what your endpoint did.");
    } else {
      message.replaceChildren(inlineCode(result.message));
    }
    message.hidden = !failed && !result.message;
  }

  function showResult(result) {
    // The result carries every step: those never sent live (all of them, when the code did not load) included.
    (result.steps || []).forEach(showStep);
    setBadge(document.getElementById("overall-status"), result.status);
    const score = document.getElementById("overall-score");
    if (result.score !== null && result.score !== undefined) score.textContent = `${result.score} / ${result.max_score}`;
    overallMessage(result);
    const next = document.getElementById("next-lesson");
    if (next && result.status === "passed") next.hidden = false;
    const edit = document.getElementById("edit-code");
    if (edit) edit.classList.toggle("primary", result.status !== "passed");
    if (result.output) {
      document.getElementById("output").textContent = result.output;
      document.getElementById("output-card").hidden = false;
    }
    document.getElementById("live-note").hidden = true;
    const attempt = document.querySelector(`[data-attempt="${id}"]`);
    if (attempt) {
      setBadge(attempt.querySelector(".badge"), result.status);
      let points = attempt.querySelector(".score");
      if (!points) {
        points = document.createElement("span");
        points.className = "score";
        attempt.querySelector(".badge").after(points);
      }
      points.textContent = `${result.score} / ${result.max_score}`;
    }
    page.dataset.final = "true";
    document.querySelectorAll("tr.step").forEach((row) => row.classList.remove("running"));
    refreshStored();
  }

  // The learner's variables (and the line a message names) are stored with the result:
  // fetch the page once more for the sections that show them.
  async function refreshStored() {
    try {
      const response = await fetch(location.href, { credentials: "same-origin" });
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      for (const section of ["beside", "code-card"]) {
        const mine = document.getElementById(section);
        const theirs = fresh.getElementById(section);
        if (mine && theirs) mine.replaceChildren(...theirs.childNodes);
      }
      // The replay of the run, stored with the result: started here without a reload.
      const section = fresh.getElementById("stepper");
      const source = fresh.getElementById("replay-data");
      const beside = document.getElementById("beside");
      if (section && source && !document.getElementById("stepper")) {
        const root = document.importNode(section, true);
        if (beside) beside.before(root);
        else page.append(root);
        mountStepper(root, JSON.parse(source.textContent), { linkSteps: false });
      }
    } catch (_) {
      /* keep the placeholder; a reload shows it */
    }
  }

  const first = document.querySelector("tr.step.pending");
  if (first) first.classList.add("running");
  setBadge(document.getElementById("overall-status"), "running");
  const note = document.getElementById("live-note");
  const grading = note.dataset.grading;
  const onQueue = (ahead) => {
    note.textContent = queueText(ahead);
  };
  const onStep = (step) => {
    if (note.textContent !== grading) note.textContent = grading;
    showStep(step);
  };
  follow(id, { onStep, onResult: showResult, onQueue });
}
