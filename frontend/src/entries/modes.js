// The graded modes' pages (Parsons, fill in the blanks, fix the bug): each sends its answer to the
// modes API and follows the grading beside it, as the code page does.
import "../modes/modes.css";
import { setUpBlanks } from "../modes/blanks.js";
import { setUpFix } from "../modes/fix.js";
import { setUpParsons } from "../modes/parsons.js";

const page = document.querySelector(".mode-page");
const form = document.getElementById("submit-form");
const panel = document.getElementById("run");
if (page && form && panel) {
  const setUp = { parsons: setUpParsons, blanks: setUpBlanks, fix: setUpFix }[page.dataset.mode];
  if (setUp) setUp({ form, panel });
}
