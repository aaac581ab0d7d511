// The practice (code) page: CodeMirror 6 on the code, Ctrl/Cmd+Enter submits.
import { createEditor } from "../editor/codemirror.js";

const textarea = document.getElementById("code");
const form = document.getElementById("submit-form");
if (textarea && form) {
  const editor = createEditor(textarea, {
    onSubmit: () => form.requestSubmit(),
    describedBy: "editor-help",
  });
  window.tracedojoEditor = editor;
  document.documentElement.classList.add("has-editor");
}
if (form) {
  form.addEventListener("submit", () => {
    const button = document.getElementById("submit-button");
    if (button) {
      button.disabled = true;
      button.textContent = "Submitting…";
    }
  });
}
