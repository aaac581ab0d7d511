// The code page: CodeMirror 6 on the code; submitting (button or Ctrl/Cmd+Enter) stays on the
// page and shows the rows beside the code. Without this bundle the form posts as a plain page.
import { createEditor } from "../editor/codemirror.js";
import { setUpRun } from "../result/run.js";

const textarea = document.getElementById("code");
const form = document.getElementById("submit-form");
const panel = document.getElementById("run");
if (textarea && form) {
  const editor = createEditor(textarea, {
    onSubmit: () => form.requestSubmit(),
    describedBy: "editor-help",
  });
  window.tracedojoEditor = editor;
  document.documentElement.classList.add("has-editor");
  if (panel) setUpRun({ form, editor, panel });
}
