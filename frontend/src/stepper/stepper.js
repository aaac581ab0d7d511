// The lesson stepper: the execution table is the spine; every other panel follows the current row.
// Progressive enhancement: the page's static tables stay for readers without JavaScript.
import { el, renderLanes } from "./lanes.js";
import { Recorder } from "./recorder.js";
import { inlineCode, isFailure, namedLine, stepNote } from "../result/present.js";

const STEP_HASH = /^#step-(\d+)$/;

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

export async function postJson(url, body, extra = {}) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
    body: JSON.stringify(body),
    ...extra,
  });
  let data = null;
  try { data = await response.json(); } catch (_) { data = null; }
  return { ok: response.ok, status: response.status, data };
}

function lineList(lines) {
  if (!lines.length) return "none";
  return (lines.length === 1 ? "line " : "lines ") + lines.join(", ");
}

export class Stepper {
  // `linkSteps: false` (a replay mounted on the code page) leaves the page's URL fragment alone.
  // `rowFor(n)`: the element of the page that already says step n's expected and actual texts (a
  // result row), so that the replay points there instead of saying them a second time.
  constructor(root, data, { linkSteps = true, rowFor = resultRow } = {}) {
    this.root = root;
    this.linkSteps = linkSteps;
    this.rowFor = rowFor;
    this.data = data;
    this.trace = data.trace;
    this.steps = this.trace.steps;
    this.total = this.steps.length;
    this.replay = data.mode === "replay";
    this.runs = new Map((data.runs || []).map((run) => [run.n, run]));
    this.revealed = new Set(); // rows whose prediction was made or skipped
    this.current = 0;
    this.recorder = this.replay || !data.slug ? null : new Recorder(data.slug);
    this.q = (selector) => root.querySelector(selector);
  }

  start() {
    this.root.hidden = false;
    const help = this.q(".stepper-help");
    if (help && !this.linkSteps) help.textContent = help.textContent.replace(" Each step has its own link.", "");
    this.root.classList.add("ready");
    this.renderCode();
    this.bindControls();
    const fromHash = this.stepFromHash();
    const first = fromHash || (this.replay && this.data.first_difference) || 1;
    this.go(first, { announce: false, updateHash: Boolean(fromHash) });
    if (fromHash) this.root.scrollIntoView({ block: "start" });
    if (!this.replay && this.data.slug) this.loadPredictions();
  }

  stepFromHash() {
    if (!this.linkSteps) return 0;
    const match = STEP_HASH.exec(window.location.hash);
    if (!match) return 0;
    const n = Number(match[1]);
    return n >= 1 && n <= this.total ? n : 0;
  }

  bindControls() {
    this.root.querySelectorAll("[data-go]").forEach((button) => {
      button.addEventListener("click", () => {
        const where = button.dataset.go;
        const target = { first: 1, back: this.current - 1, next: this.current + 1, last: this.total }[where];
        this.go(target);
      });
    });
    const slider = this.q("[data-slider]");
    slider.max = String(this.total);
    slider.addEventListener("input", () => this.go(Number(slider.value)));
    this.root.addEventListener("keydown", (event) => {
      const target = event.target;
      if (target.closest("input, textarea, select, [contenteditable]") || event.altKey || event.ctrlKey || event.metaKey) return;
      const moves = { ArrowLeft: this.current - 1, ArrowRight: this.current + 1, Home: 1, End: this.total };
      if (!(event.key in moves)) return;
      event.preventDefault();
      this.go(moves[event.key]);
    });
    this.q("[data-spine]").addEventListener("click", (event) => {
      const button = event.target.closest("button[data-step]");
      if (button) this.go(Number(button.dataset.step));
    });
    if (this.linkSteps) window.addEventListener("hashchange", () => {
      const n = this.stepFromHash();
      if (n && n !== this.current) {
        this.go(n, { updateHash: false });
        this.root.scrollIntoView({ block: "start" });
      }
    });
    const form = this.q("[data-predict]");
    if (form) {
      form.addEventListener("submit", (event) => { event.preventDefault(); this.submitPrediction(); });
      this.q("[data-skip]").addEventListener("click", () => this.reveal(this.current, null));
    }
  }

  renderCode() {
    const host = this.q("[data-code]");
    const lines = this.replay ? this.data.code_lines : this.data.sample_lines;
    const list = el("ol", { class: "code-lines", "aria-label": this.replay ? "Your code" : "The sample code" });
    lines.forEach((html, i) => {
      const item = el("li", { "data-line": i + 1 });
      const number = el("span", { class: "ln", "aria-hidden": "true", text: String(i + 1) });
      const code = el("code", { class: "src" });
      code.innerHTML = html || " "; // server-escaped, highlighted HTML
      item.append(number, code, el("span", { class: "line-tag" }));
      list.append(item);
    });
    host.replaceChildren(list);
  }

  go(n, { announce = true, updateHash = true } = {}) {
    n = Math.min(Math.max(1, Number(n) || 1), this.total);
    const back = n < this.current;
    if (this.recorder && n !== this.current) this.recorder.arrive(n, back);
    this.current = n;
    const step = this.steps[n - 1];
    this.q("[data-position]").textContent = `Step ${n} of ${this.total}`;
    const slider = this.q("[data-slider]");
    slider.value = String(n);
    slider.setAttribute("aria-valuetext", `Step ${n} of ${this.total}: ${step.action}`);
    this.q('[data-go="first"]').disabled = n === 1;
    this.q('[data-go="back"]').disabled = n === 1;
    this.q('[data-go="next"]').disabled = n === this.total;
    this.q('[data-go="last"]').disabled = n === this.total;
    this.root.querySelectorAll("[data-spine] button[data-step]").forEach((button) => {
      const here = Number(button.dataset.step) === n;
      if (here) button.setAttribute("aria-current", "step");
      else button.removeAttribute("aria-current");
    });
    const link = this.q("[data-permalink]");
    link.hidden = !this.linkSteps;
    link.href = `#step-${n}`;
    link.textContent = `Link to step ${n}`;
    if (updateHash && this.linkSteps && window.location.hash !== `#step-${n}`) history.replaceState(null, "", `#step-${n}`);
    this.render(announce);
  }

  pending(step) {
    return !this.replay && step.prediction && !this.revealed.has(step.n);
  }

  render(announce) {
    const step = this.steps[this.current - 1];
    const hidden = this.pending(step);
    this.renderLines(step);
    this.renderLanesFor(step, hidden);
    this.renderNarration(step, hidden, announce);
    this.renderPrediction(step);
    this.renderTracker(step, hidden);
    this.renderMoments(step);
    if (this.replay) this.renderComparison(step);
  }

  renderLines(step) {
    let ran = step.lines;
    let next = step.next_lines;
    let summary;
    let named = null;
    if (this.replay) {
      const run = this.runs.get(step.n);
      const paused = run && run.paused_line ? [run.paused_line] : [];
      ran = paused;
      next = [];
      summary = paused.length
        ? `After step ${step.n} your endpoint was paused at line ${paused[0]}.`
        : `The grader recorded no paused line of your code after step ${step.n}.`;
      // The line of your code the row's message names (a traceback's line) is marked as well.
      named = run && isFailure(run.status) ? namedLine(`${run.actual} ${run.message}`) : null;
      if (named !== null && named > this.data.code_lines.length) named = null;
      if (named !== null) summary += ` The message of this step names line ${named}, marked “named in the message”.`;
    } else {
      summary = `Just ran: ${lineList(ran)}. Runs next: ${lineList(next)}.`;
    }
    this.q("[data-lines-summary]").textContent = summary;
    this.root.querySelectorAll(".code-lines li").forEach((item) => {
      const line = Number(item.dataset.line);
      const isRan = ran.includes(line);
      const isNext = !isRan && next.includes(line);
      const isNamed = line === named;
      item.classList.toggle("ran", isRan);
      item.classList.toggle("next", isNext);
      item.classList.toggle("named", isNamed);
      const tags = [isRan ? (this.replay ? "◀ paused here" : "◀ just ran") : isNext ? "⇢ runs next" : "", isNamed ? "⚠ named in the message" : ""];
      item.querySelector(".line-tag").textContent = tags.filter(Boolean).join(" · ");
    });
    const first = this.q(".code-lines li.named") || this.q(".code-lines li.ran") || this.q(".code-lines li.next");
    const box = this.q("[data-code]");
    if (first && box.scrollHeight > box.clientHeight) box.scrollTop = Math.max(0, first.offsetTop - box.clientHeight / 3);
  }

  lessonEntries(upTo, hideCurrent) {
    return this.steps.slice(0, upTo).map((s) => ({
      step: s.n,
      frames: hideCurrent && s.n === upTo ? s.frames.filter((f) => f.direction === "to_server") : s.frames,
      waiting: s.waiting,
    }));
  }

  renderLanesFor(step, hidden) {
    const clients = this.trace.clients;
    if (!this.replay) {
      renderLanes(this.q("[data-lanes]"), clients, this.lessonEntries(step.n, hidden), step.n);
      const notes = hidden ? [] : step.notes;
      this.q("[data-notes]").replaceChildren(...notes.map((note) => el("li", { text: note })));
      this.q("[data-hidden-note]").hidden = !hidden;
      return;
    }
    const runEntries = this.steps.slice(0, step.n).map((s) => {
      const run = this.runs.get(s.n);
      return { step: s.n, frames: (run && run.frames) || [], waiting: [] };
    });
    const recorded = [...this.runs.values()].some((run) => (run.frames || []).length);
    const runClients = [...clients];
    runEntries.forEach((entry) => entry.frames.forEach((f) => { if (!runClients.includes(f.client)) runClients.push(f.client); }));
    renderLanes(this.q("[data-lanes]"), runClients, runEntries, step.n, {
      label: "What crossed the wire in your run, oldest first",
      empty: recorded ? "Nothing of your run crossed the wire yet." : "The grader recorded no frames for this submission.",
    });
    renderLanes(this.q("[data-ghost]"), clients, this.lessonEntries(step.n, false), step.n, {
      label: "What the lesson's trace expects, oldest first",
    });
    this.q("[data-notes]").replaceChildren(...step.notes.map((note) => el("li", { text: `Lesson: ${note}` })));
  }

  renderNarration(step, hidden, announce) {
    const box = this.q("[data-narration]");
    const parts = [
      el("p", { class: "narration-step" }, el("strong", { text: `Step ${step.n} of ${this.total}: ` }), step.action),
      el("p", {}, el("span", { class: "narration-label", text: "Evaluation: " }), step.evaluation),
      el("p", {}, el("span", { class: "narration-label", text: "Result: " }), hidden ? "make your prediction below, then the step reveals it." : step.result),
    ];
    if (this.replay) {
      const run = this.runs.get(step.n);
      const status = run ? run.status : "not run";
      parts.push(el("p", { class: `run-status ${status}` }, el("span", { class: "narration-label", text: "Your endpoint: " }), statusWords(status)));
    }
    // Rewriting the live region is what screen readers announce; the first render stays quiet.
    if (!announce) box.setAttribute("aria-live", "off");
    box.replaceChildren(...parts);
    if (!announce) requestAnimationFrame(() => box.setAttribute("aria-live", "polite"));
  }

  renderPrediction(step) {
    const form = this.q("[data-predict]");
    if (!form) return;
    const feedback = this.q("[data-predict-feedback]");
    if (!step.prediction) {
      form.hidden = true;
      feedback.hidden = true;
      return;
    }
    const done = this.revealed.has(step.n);
    form.hidden = done;
    const outcome = this.outcomes && this.outcomes.get(step.n);
    feedback.hidden = !done || !outcome;
    if (done && outcome) this.showOutcome(outcome);
    if (done) return;
    const prediction = step.prediction;
    this.q("[data-predict-prompt]").textContent = prediction.prompt;
    const area = this.q("[data-predict-input]");
    if (prediction.kind === "choice") {
      area.replaceChildren(
        ...prediction.choices.map((choice, i) =>
          el("label", { class: "choice" }, el("input", { type: "radio", name: "prediction", value: choice, required: true, id: `predict-${step.n}-${i}` }), " ", el("code", { text: choice })),
        ),
      );
    } else {
      const id = `predict-${step.n}-text`;
      area.replaceChildren(
        el("label", { for: id, class: "visually-hidden", text: "Your prediction" }),
        el("input", { type: "text", id, name: "prediction", required: true, maxlength: 200, autocomplete: "off", spellcheck: "false", class: "predict-text" }),
      );
    }
  }

  async submitPrediction() {
    const step = this.steps[this.current - 1];
    const form = this.q("[data-predict]");
    const picked = form.querySelector('input[name="prediction"]:checked') || form.querySelector('input[type="text"][name="prediction"]');
    const answer = picked ? picked.value.trim() : "";
    if (!answer) return;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    const { ok, status, data } = await postJson(`/api/exercises/${this.data.slug}/predictions`, { step: step.n, answer });
    button.disabled = false;
    const outcome = ok
      ? { answer, correct: data.correct, expected: data.expected }
      : { answer, error: status === 401 ? "Your session has ended; log in again to keep your predictions." : (data && (data.message || data.detail)) || `Could not store the prediction (HTTP ${status}).` };
    this.reveal(step.n, outcome);
  }

  reveal(n, outcome) {
    this.revealed.add(n);
    this.outcomes = this.outcomes || new Map();
    if (outcome) this.outcomes.set(n, outcome);
    if (n === this.current) {
      this.render(true);
      const target = outcome ? this.q("[data-predict-feedback]") : this.q("[data-narration]");
      if (target) { target.setAttribute("tabindex", "-1"); target.focus({ preventScroll: true }); }
    }
  }

  showOutcome(outcome) {
    const feedback = this.q("[data-predict-feedback]");
    feedback.hidden = false;
    if (outcome.error) {
      feedback.className = "predict-feedback wrong";
      feedback.textContent = `⚠ ${outcome.error}`;
      return;
    }
    feedback.className = `predict-feedback ${outcome.correct ? "right" : "wrong"}`;
    feedback.replaceChildren(
      el("strong", { text: outcome.correct ? "✓ Right. " : "✗ Not quite. " }),
      "You predicted ", el("code", { text: outcome.answer }), outcome.correct ? "." : "; it is ", outcome.correct ? "" : el("code", { text: outcome.expected }), outcome.correct ? "" : ".",
    );
  }

  async loadPredictions() {
    try {
      const response = await fetch(`/api/exercises/${this.data.slug}/predictions`, { credentials: "same-origin" });
      if (!response.ok) return;
      const made = await response.json();
      this.outcomes = this.outcomes || new Map();
      for (const p of made) {
        this.revealed.add(p.step);
        this.outcomes.set(p.step, { answer: p.answer, correct: p.correct, expected: p.correct ? p.answer : "shown in the step above" });
      }
      if (made.some((p) => p.step === this.current)) this.render(false);
    } catch (_) { /* predictions are an extra: the stepper works without them */ }
  }

  renderTracker(step, hidden) {
    const host = this.q("[data-tracker]");
    const tracker = this.data.tracker;
    const column = step.tracker_column;
    const title = this.q("[data-tracker-title]");
    if (column === null || column === undefined) {
      title.textContent = "Variables";
      host.replaceChildren(el("p", { class: "muted", text: "The variable tracker has no column for this step yet." }));
      return;
    }
    const heading = tracker.columns[column];
    const concealed = hidden && heading.toLowerCase().includes(`step ${step.n}`);
    title.textContent = `Variables — column “${heading}”`;
    const body = el("tbody");
    const untracked = new Set(this.trace.untracked || []);
    for (const row of tracker.rows) {
      const value = row.values[column];
      const before = column > 0 ? row.values[column - 1] : null;
      const changed = before !== null && before !== value;
      const cells = [el("th", { scope: "row" }, el("code", { text: row.name }))];
      cells.push(el("td", { class: changed && !concealed ? "changed" : "" }, concealed ? el("span", { class: "muted", text: "predict first" }) : el("code", { text: value }), changed && !concealed ? el("span", { class: "changed-tag", text: " changed" }) : ""));
      if (this.replay) cells.push(el("td", {}, this.learnerValue(row.name, step.n, untracked)));
      body.append(el("tr", { "data-variable": row.name }, ...cells));
    }
    const headRow = el("tr", {}, el("th", { scope: "col", text: "Variable" }), el("th", { scope: "col", text: this.replay ? "Lesson" : heading }));
    if (this.replay) headRow.append(el("th", { scope: "col", text: "Yours" }));
    host.replaceChildren(el("table", { class: "tracker stepper-tracker" }, el("thead", {}, headRow), body));
  }

  learnerValue(name, n, untracked) {
    if (untracked.has(name)) {
      return el("span", { class: "muted untracked", text: "not a variable of the sample (it is computed inline or describes the run), so your code need not store it either" });
    }
    // A row such as message['type'] shows the learner's whole `message`.
    const leading = /^[A-Za-z_]\w*/.exec(name);
    const keys = leading && leading[0] !== name ? [name, leading[0]] : [name];
    let value;
    for (let k = n; k >= 1 && value === undefined; k -= 1) {
      const run = this.runs.get(k);
      const key = run && run.variables ? keys.find((candidate) => candidate in run.variables) : undefined;
      if (key !== undefined) value = run.variables[key];
    }
    return value === undefined ? el("span", { class: "muted", text: "— (not captured: the sandbox records your endpoint's own variables)" }) : el("code", { text: String(value) });
  }

  renderMoments(step) {
    const host = this.q("[data-moments]");
    const moments = step.moments.map((i) => this.data.moments[i]).filter(Boolean);
    if (!moments.length) {
      host.replaceChildren(el("p", { class: "muted", text: "No key moment refers to this step." }));
      return;
    }
    host.replaceChildren(...moments.map((m) => el("div", { class: "stepper-moment" }, el("p", {}, el("strong", { text: m.question })), el("p", { text: m.answer }))));
  }

  renderComparison(step) {
    const host = this.q("[data-compare]");
    const run = this.runs.get(step.n);
    const first = this.data.first_difference;
    const heading = this.q("[data-compare-title]");
    if (!run) {
      heading.textContent = `Step ${step.n}: not graded`;
      host.replaceChildren(el("p", { class: "muted", text: "Your endpoint did not reach this step." }));
      return;
    }
    heading.textContent = step.n === first ? `Step ${step.n}: the first step where your run differs` : `Step ${step.n}: expected and actual`;
    // Each failure said once: where a row of the page already says this step's expected and actual
    // texts, the replay points to it; the lanes above show both runs' frames side by side.
    const shown = this.rowFor ? this.rowFor(step.n) : null;
    if (shown) {
      const go = el("button", { type: "button", class: "button small", text: `Show step ${step.n}'s row` });
      go.addEventListener("click", () => {
        if (!shown.hasAttribute("tabindex")) shown.setAttribute("tabindex", "-1");
        shown.scrollIntoView({ block: "center" });
        shown.focus({ preventScroll: true });
      });
      host.replaceChildren(
        el("p", { class: `compare-pointer ${run.status}` }, el("strong", { text: `${statusWords(run.status)}. ` }), `Step ${step.n}'s row of the result says what was expected and what the endpoint did; the lanes show both runs' frames. `, go),
      );
      return;
    }
    // The message's restatement of expected and actual is left out.
    const rows = [
      el("dt", { text: "Expected" }), el("dd", {}, inlineCode(run.expected || "—")),
      el("dt", { text: "Your endpoint" }), el("dd", {}, inlineCode(run.actual || "—")),
    ];
    const note = isFailure(run.status) ? stepNote(run) : "";
    if (note) rows.push(el("dt", { text: "What to change" }), el("dd", { class: "step-message" }, inlineCode(note)));
    host.replaceChildren(el("dl", { class: `compare ${run.status}` }, ...rows));
  }
}

/** The result row of the page (submission pages' table, the code page's run panel) that shows
 * step n's expected and actual texts, or null. */
export function resultRow(n) {
  const row = document.querySelector(`tr.step[data-n="${n}"], .run-step[data-n="${n}"]`);
  if (!row) return null;
  const detail = row.querySelector(".run-detail");
  if (detail && detail.hidden) return null;
  const said = [".expected", ".actual"].some((cell) => (row.querySelector(cell)?.textContent || "").trim());
  return said ? row : null;
}

export function statusWords(status) {
  return { passed: "✓ passed", failed: "✗ failed", error: "✗ error", timeout: "✗ timed out", skipped: "– skipped (an earlier step failed)" }[status] || status;
}

/** Start a stepper on a section rendered by the `stepper` macro, with the data it shows. */
export function mountStepper(root, data, options = {}) {
  const stepper = new Stepper(root, data, options);
  stepper.start();
  root.stepper = stepper; // for the browser tests' and other scripts' inspection
  return stepper;
}

export function boot() {
  document.querySelectorAll("[data-needs-stepper]").forEach((link) => { link.hidden = false; });
  document.querySelectorAll("[data-stepper]").forEach((root) => {
    const source = document.getElementById(root.dataset.stepper);
    if (!source) return;
    mountStepper(root, JSON.parse(source.textContent));
  });
}
