// The result page: follow the grading live over WebSocket, turning each step green or red.
"use strict";

(function () {
  const page = document.querySelector(".result-page");
  if (!page || page.dataset.final === "true") return;
  const id = page.dataset.submission;
  const labels = { passed: "Passed", failed: "Failed", error: "Error", timeout: "Timed out", skipped: "Skipped", pending: "Waiting", running: "Grading…", queued: "Queued" };

  function setBadge(el, status) {
    el.className = el.className.split(" ").filter((c) => !(c in labels)).concat([status]).join(" ");
    el.textContent = labels[status] || status;
  }

  function showStep(step) {
    const row = document.querySelector(`tr.step[data-n="${step.n}"]`);
    if (!row) return;
    row.className = `step ${step.status}`;
    setBadge(row.querySelector(".badge"), step.status);
    row.querySelector(".expected").textContent = step.expected || "";
    const actual = row.querySelector(".actual");
    actual.textContent = step.actual || "";
    if (step.message) {
      const message = document.createElement("div");
      message.className = "step-message";
      message.textContent = step.message;
      actual.appendChild(message);
    }
    const next = document.querySelector(`tr.step[data-n="${step.n + 1}"]`);
    if (next && next.classList.contains("pending")) next.classList.add("running");
  }

  function showResult(result) {
    // The result carries every step: those never sent live (all of them, when the code did not load) included.
    (result.steps || []).forEach(showStep);
    setBadge(document.getElementById("overall-status"), result.status);
    const score = document.getElementById("overall-score");
    if (result.score !== null && result.score !== undefined) score.textContent = `${result.score} / ${result.max_score}`;
    const message = document.getElementById("overall-message");
    message.textContent = result.message || "";
    message.hidden = !result.message;
    message.className = `message ${result.status}`;
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
    refreshBeside();
    document.querySelectorAll("tr.step.pending").forEach((row) => {
      row.classList.remove("running");
    });
  }

  // The learner's variables (and the line a load error names) are stored with the result:
  // fetch the page once more for the sections that show them.
  async function refreshBeside() {
    try {
      const response = await fetch(location.href, { credentials: "same-origin" });
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      for (const id of ["beside", "code-card"]) {
        const section = document.getElementById(id);
        const replacement = fresh.getElementById(id);
        if (section && replacement) section.innerHTML = replacement.innerHTML;
      }
    } catch (_) { /* keep the placeholder; a reload shows it */ }
  }

  const first = document.querySelector("tr.step.pending");
  if (first) first.classList.add("running");
  setBadge(document.getElementById("overall-status"), "running");
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/api/submissions/${id}/live`);
  socket.addEventListener("message", (event) => {
    const data = JSON.parse(event.data);
    if (data.type === "step") showStep(data.step);
    else if (data.type === "result") showResult(data.result);
  });
  socket.addEventListener("close", () => {
    // A lost connection before the result: reload to show what the server stored.
    if (page.dataset.final !== "true") setTimeout(() => location.reload(), 1500);
  });
})();
