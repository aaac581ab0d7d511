// The code editor: CodeMirror 5 (fetched at install time) with Python mode, line numbers and
// Tab indentation; a plain text area with Tab support if the assets are missing.
"use strict";

(function () {
  const textarea = document.getElementById("code");
  const form = document.getElementById("submit-form");
  if (!textarea || !form) return;
  const indent = "    ";
  if (window.CodeMirror) {
    const editor = window.CodeMirror.fromTextArea(textarea, {
      mode: "python",
      lineNumbers: true,
      indentUnit: 4,
      tabSize: 4,
      indentWithTabs: false,
      matchBrackets: true,
      viewportMargin: Infinity,
      extraKeys: {
        Tab: (cm) => (cm.somethingSelected() ? cm.indentSelection("add") : cm.replaceSelection(indent, "end")),
        "Shift-Tab": (cm) => cm.indentSelection("subtract"),
        "Ctrl-Enter": () => form.requestSubmit(),
        "Cmd-Enter": () => form.requestSubmit(),
      },
    });
    window.tracedojoEditor = editor;
    form.addEventListener("submit", () => editor.save());
  } else {
    textarea.addEventListener("keydown", (event) => {
      if (event.key !== "Tab") return;
      event.preventDefault();
      const start = textarea.selectionStart;
      textarea.setRangeText(indent, start, textarea.selectionEnd, "end");
    });
  }
  form.addEventListener("submit", () => {
    const button = document.getElementById("submit-button");
    if (button) { button.disabled = true; button.textContent = "Submitting…"; }
  });
})();
