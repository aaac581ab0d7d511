// Fix the bug: a wrong variant in the editor; once it passes, the next bug is one reload away.
import { createEditor } from "../editor/codemirror.js";
import { setUpRun } from "../result/run.js";
import { attemptSubmission, showFeedback } from "./common.js";

export function setUpFix({ form, panel }) {
  const slug = form.dataset.slug;
  const textarea = document.getElementById("code");
  const editor = createEditor(textarea, { onSubmit: () => form.requestSubmit(), describedBy: "editor-help" });
  window.tracedojoEditor = editor;
  document.documentElement.classList.add("has-editor");
  const request = () => {
    editor.sync();
    const code = editor.getValue();
    if (!code.trim()) return "The editor is empty: undo your changes, or reload the page for the buggy code.";
    return {
      url: `/api/exercises/${slug}/modes/fix/attempts`,
      body: { variant: form.dataset.variant, code },
      submissionOf: attemptSubmission,
    };
  };
  const onResult = async (result, data) => {
    await showFeedback(data.id, result);
    if (result.status !== "passed" || document.getElementById("next-bug")) return;
    const next = document.createElement("a");
    next.id = "next-bug";
    next.className = "button primary";
    next.href = location.pathname;
    next.textContent = "Next bug →";
    document.getElementById("mode-feedback").after(next);
  };
  setUpRun({ form, editor, panel, request, onResult });
}
