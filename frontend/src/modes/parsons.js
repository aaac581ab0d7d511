// The Parsons puzzle: blocks move from the pool into the program and are indented there, by
// dragging (mouse, pen or touch: pointer events on the handle) or without any drag (WCAG 2.5.7):
// select a block with a click, Enter or Space, then the toolbar buttons or the keys
// ↑ ↓ (move), → ← (indent, outdent; → in the pool adds it), Delete (back to the pool).
import { setUpRun } from "../result/run.js";
import { attemptSubmission, getJSON, readPuzzle, showFeedback } from "./common.js";

const MAX_INDENT = 8;

export function setUpParsons({ form, panel }) {
  const slug = form.dataset.slug;
  document.documentElement.classList.add("parsons-js"); // the place/indent fields of the no-script form go
  const pool = document.getElementById("parsons-pool");
  const program = document.getElementById("parsons-program");
  const status = document.getElementById("parsons-status");
  const toolbar = form.querySelector(".parsons-toolbar");
  const joined = new Map(); // a block's id -> the ids joined after it
  let selected = null;

  const blockOf = (id) => form.querySelector(`.pblock[data-id="${CSS.escape(id)}"]`);
  const inProgram = (li) => li.parentElement === program;
  const codeOf = (li) => li.querySelector("code").textContent;
  const short = (li) => codeOf(li).split("\n")[0].trim();

  function setIndent(li, indent) {
    const level = Math.max(0, Math.min(MAX_INDENT, indent));
    li.dataset.indent = String(level);
    li.style.setProperty("--indent", String(inProgram(li) ? level : 0));
    let note = li.querySelector(".indent-note");
    if (!note) {
      note = document.createElement("span");
      note.className = "indent-note";
      li.querySelector(".pblock-select").append(note);
    }
    note.textContent = inProgram(li) ? ` (indent ${level})` : "";
  }

  function refresh() {
    for (const li of form.querySelectorAll(".pblock")) setIndent(li, Number(li.dataset.indent || 0));
    document.getElementById("program-empty").hidden = program.children.length > 0;
    document.getElementById("pool-count").textContent = `(${pool.children.length} left)`;
    document.getElementById("program-count").textContent = `(${program.children.length} placed)`;
    const li = selected && blockOf(selected);
    for (const button of toolbar.querySelectorAll("button")) button.disabled = !li;
    if (!li) return;
    const placed = inProgram(li);
    toolbar.querySelector('[data-action="toggle"]').textContent = placed ? "Back to the blocks" : "Add to program";
    toolbar.querySelector('[data-action="indent"]').disabled = !placed || Number(li.dataset.indent) >= MAX_INDENT;
    toolbar.querySelector('[data-action="outdent"]').disabled = !placed || Number(li.dataset.indent) === 0;
    toolbar.querySelector('[data-action="up"]').disabled = !li.previousElementSibling;
    toolbar.querySelector('[data-action="down"]').disabled = !li.nextElementSibling;
  }

  function announce(li) {
    if (inProgram(li)) {
      const index = [...program.children].indexOf(li) + 1;
      status.textContent = `“${short(li)}” is line ${index} of ${program.children.length} of your program, indent ${li.dataset.indent}.`;
    } else {
      status.textContent = `“${short(li)}” is back among the blocks.`;
    }
  }

  function select(li) {
    for (const other of form.querySelectorAll(".pblock.selected")) {
      other.classList.remove("selected");
      other.querySelector(".pblock-select").setAttribute("aria-pressed", "false");
    }
    selected = li ? li.dataset.id : null;
    if (li) {
      li.classList.add("selected");
      li.querySelector(".pblock-select").setAttribute("aria-pressed", "true");
    }
    refresh();
  }

  function keepFocus(li) {
    li.querySelector(".pblock-select").focus();
  }

  function act(li, action) {
    if (!li) return;
    if (action === "toggle") {
      if (inProgram(li)) pool.append(li);
      else {
        program.append(li);
        if (li.dataset.given !== undefined) li.dataset.indent = li.dataset.given;
      }
    } else if (action === "up" && li.previousElementSibling) {
      li.previousElementSibling.before(li);
    } else if (action === "down" && li.nextElementSibling) {
      li.nextElementSibling.after(li);
    } else if (action === "indent" && inProgram(li)) {
      setIndent(li, Number(li.dataset.indent) + 1);
    } else if (action === "outdent" && inProgram(li)) {
      setIndent(li, Number(li.dataset.indent) - 1);
    } else {
      return;
    }
    select(li);
    keepFocus(li);
    announce(li);
  }

  toolbar.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (button && selected) act(blockOf(selected), button.dataset.action);
  });

  form.addEventListener("click", (event) => {
    const button = event.target.closest(".pblock-select");
    if (!button) return;
    const li = button.closest(".pblock");
    select(li.dataset.id === selected ? null : li);
  });

  const KEYS = { ArrowUp: "up", ArrowDown: "down", ArrowRight: "indent", ArrowLeft: "outdent" };
  form.addEventListener("keydown", (event) => {
    const button = event.target.closest(".pblock-select");
    if (!button || event.altKey || event.ctrlKey || event.metaKey) return;
    const li = button.closest(".pblock");
    let action = KEYS[event.key];
    if (event.key === "Delete" || event.key === "Backspace") action = inProgram(li) ? "toggle" : null;
    if (event.key === "ArrowRight" && !inProgram(li)) action = "toggle";
    if (!action) return;
    event.preventDefault();
    act(li, action);
  });

  // Dragging by the handle: pointer events serve mouse, pen and touch alike.
  let drag = null;
  form.addEventListener("pointerdown", (event) => {
    const handle = event.target.closest(".drag-handle");
    if (!handle || event.button > 0) return;
    const li = handle.closest(".pblock");
    const box = li.getBoundingClientRect();
    drag = { li, dx: event.clientX - box.left, dy: event.clientY - box.top, x0: event.clientX, y0: event.clientY };
    handle.setPointerCapture(event.pointerId);
    li.classList.add("dragging");
    event.preventDefault();
  });
  form.addEventListener("pointermove", (event) => {
    if (!drag) return;
    drag.li.style.transform = `translate(${event.clientX - drag.x0}px, ${event.clientY - drag.y0}px)`;
  });
  const drop = (event) => {
    if (!drag) return;
    const { li } = drag;
    drag = null;
    li.classList.remove("dragging");
    li.style.transform = "";
    li.style.pointerEvents = "none";
    const under = document.elementFromPoint(event.clientX, event.clientY);
    li.style.pointerEvents = "";
    const list = under && under.closest(".parsons-area") && under.closest(".parsons-area").querySelector(".parsons-list");
    if (!list) return;
    const target = under.closest(".pblock");
    if (target && target !== li && target.parentElement === list) {
      const box = target.getBoundingClientRect();
      if (event.clientY < box.top + box.height / 2) target.before(li);
      else target.after(li);
    } else if (!target) {
      list.append(li);
    }
    if (list === program) {
      const unit = parseFloat(getComputedStyle(program).getPropertyValue("--indent-step")) || 24;
      const left = event.clientX - program.getBoundingClientRect().left;
      setIndent(li, Math.round(Math.max(0, left - 24) / unit));
    }
    select(li);
    announce(li);
  };
  form.addEventListener("pointerup", drop);
  form.addEventListener("pointercancel", drop);

  // Help earned by failed tries: distractors go, two blocks join, the indentation is given.
  function applyHelp(help) {
    for (const id of help.removed) {
      const li = blockOf(id);
      if (li) {
        if (selected === id) select(null);
        li.remove();
      }
    }
    for (const ids of help.joined) {
      const [first, ...rest] = ids;
      const head = blockOf(first);
      if (!head || joined.has(first)) continue;
      for (const id of rest) {
        const li = blockOf(id);
        if (!li) continue;
        head.querySelector("code").textContent += `\n${codeOf(li)}`;
        if (selected === id) select(null);
        li.remove();
      }
      joined.set(first, rest);
      head.classList.add("joined");
    }
    for (const [id, level] of Object.entries(help.levels)) {
      const li = blockOf(id);
      if (!li) continue;
      li.dataset.given = String(level);
      li.dataset.indent = String(level);
      li.classList.add("indent-given");
    }
    const box = document.getElementById("parsons-help");
    if (help.messages.length) {
      box.hidden = false;
      box.querySelector("strong").textContent = `Help after ${help.failed_tries} ${help.failed_tries === 1 ? "try" : "tries"}:`;
      document.getElementById("parsons-help-text").textContent = help.messages.join(" ");
    }
    refresh();
  }

  const puzzle = readPuzzle();
  if (puzzle) applyHelp(puzzle.help);
  refresh();

  function placed() {
    const blocks = [];
    for (const li of program.children) {
      const indent = Number(li.dataset.indent || 0);
      blocks.push({ id: li.dataset.id, indent });
      for (const id of joined.get(li.dataset.id) || []) blocks.push({ id, indent });
    }
    return blocks;
  }

  const editor = {
    sync() {},
    getValue: () => "",
    focus() {
      const first = program.querySelector(".pblock-select") || pool.querySelector(".pblock-select");
      if (first) first.focus();
    },
    // A line of the assembled program: mark the block that holds it.
    markLine(line) {
      form.querySelectorAll(".pblock.marked").forEach((li) => li.classList.remove("marked"));
      if (line === null || line === undefined) return;
      let at = 0;
      for (const li of program.children) {
        at += codeOf(li).split("\n").length;
        if (line <= at) {
          li.classList.add("marked");
          return;
        }
      }
    },
  };

  const request = () => {
    const blocks = placed();
    if (!blocks.length) return "Move some blocks into your program first.";
    return { url: `/api/exercises/${slug}/modes/parsons/attempts`, body: { blocks }, submissionOf: attemptSubmission };
  };

  const onResult = async (result, data) => {
    await showFeedback(data.id, result);
    if (result.status === "passed") return;
    try {
      applyHelp((await getJSON(`/api/exercises/${slug}/modes/parsons`)).help);
    } catch (_) {
      /* the help shows on the next visit */
    }
  };

  setUpRun({ form, editor, panel, request, onResult });
}
