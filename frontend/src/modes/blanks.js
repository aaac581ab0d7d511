// Fill in the blanks: the inputs' text goes to the API, which grades the filled-in sample.
import { setUpRun } from "../result/run.js";
import { attemptSubmission, showFeedback } from "./common.js";

export function setUpBlanks({ form, panel }) {
  const slug = form.dataset.slug;
  const inputs = [...form.querySelectorAll(".blank-input")];
  const editor = {
    sync() {},
    getValue: () => "",
    focus() {
      if (inputs[0]) inputs[0].focus();
    },
    markLine(line) {
      form.querySelectorAll(".blanks-line.marked").forEach((el) => el.classList.remove("marked"));
      if (line === null || line === undefined) return;
      const row = form.querySelector(`.blanks-line[data-line="${line}"]`);
      if (row) row.classList.add("marked");
    },
  };
  const request = () => {
    const empty = inputs.findIndex((input) => !input.value.trim());
    if (empty >= 0) {
      inputs[empty].focus();
      return `Fill in blank ${empty + 1} first.`;
    }
    const fills = Object.fromEntries(inputs.map((input) => [input.id, input.value]));
    return { url: `/api/exercises/${slug}/modes/blanks/attempts`, body: { fills }, submissionOf: attemptSubmission };
  };
  setUpRun({ form, editor, panel, request, onResult: (result, data) => showFeedback(data.id, result) });
}
