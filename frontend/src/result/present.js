// How a grading result is told on a page: shared by the code page (rows beside the editor) and
// the submission page. The same rules live in tracedojo/step_wording.py for server-rendered pages.

export const LABELS = {
  passed: "Passed",
  failed: "Failed",
  error: "Error",
  timeout: "Timed out",
  skipped: "Skipped",
  pending: "Waiting",
  running: "Grading…",
  queued: "Queued",
};
const NOT_PASSED = new Set(["failed", "error", "timeout"]);

export const isFailure = (status) => NOT_PASSED.has(status);

/** The first row that did not pass (skipped rows come after it), or undefined. */
export function firstFailure(steps) {
  return (steps || []).find((step) => isFailure(step.status));
}

/** Set a status badge: its class (which gives it a shape in app.css) and its word, never colour alone. */
export function setBadge(badge, status) {
  if (!badge) return;
  badge.className = badge.className
    .split(" ")
    .filter((name) => name && !(name in LABELS))
    .concat([status])
    .join(" ");
  badge.textContent = LABELS[status] || status;
}

/** Text with `inline code` in backticks as a fragment of text and <code> elements. */
export function inlineCode(text) {
  const fragment = document.createDocumentFragment();
  String(text || "")
    .split(/(`[^`\n]+`)/)
    .forEach((part) => {
      if (/^`[^`\n]+`$/.test(part)) {
        const code = document.createElement("code");
        code.textContent = part.slice(1, -1);
        fragment.append(code);
      } else if (part) {
        fragment.append(part);
      }
    });
  return fragment;
}

/**
 * What a row's message adds to its expected and actual texts, so each failure is said once:
 * the grader's message restates both ("Expected X, but received Y.") and sometimes ends with
 * advice; only that advice is shown beside the expected and actual columns.
 */
export function stepNote(step) {
  const message = String(step.message || "").trim();
  const actual = String(step.actual || "").trim();
  const expected = String(step.expected || "").trim();
  if (!message) return "";
  // What the page already shows beside the message, as the message may word it ("Your endpoint
  // did not finish cleanly: it raised …" restates "your endpoint raised …").
  const candidates = actual ? [actual, actual.replace(/^your endpoint\s+/i, "")] : [expected];
  for (const said of candidates) {
    if (said && message.includes(said)) {
      return message
        .slice(message.lastIndexOf(said) + said.length)
        .replace(/^[\s.;:,)]+/, "")
        .trim();
    }
  }
  return message;
}

/** The line of the learner's file a message names ("at line 3", "(line 10: ...)"), or null. */
export function namedLine(text) {
  const match = /\b(?:at )?line (\d+)\b/.exec(String(text || ""));
  return match ? Number(match[1]) : null;
}

/** One sentence for the verdict, announced to screen readers. */
export function verdictText(result, rows) {
  const score = result.score === null || result.score === undefined ? "" : ` Score ${result.score} / ${result.max_score}.`;
  if (result.status === "passed") return `Passed: every step of the trace matches.${score}`;
  const failed = firstFailure(result.steps);
  if (failed) {
    const of = rows ? ` of ${rows}` : "";
    return `${LABELS[result.status] || result.status} at step ${failed.n}${of}: ${failed.title}.${score}`;
  }
  return `${LABELS[result.status] || result.status}: ${result.message || "no step ran."}${score}`;
}
