"""How a grading result is told on the pages: each failure said once, inline code as code, and the
line of the learner's file a message names.

The grader's row message restates the row's expected and actual texts ("Expected X, but received
Y.") and sometimes ends with advice; a page showing expected and actual in their own columns shows
only what the message adds. ``frontend/src/result/present.js`` applies the same rules to rows that
arrive live.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from markupsafe import Markup, escape

from grader.results import StepResult

NOT_PASSED = frozenset({"failed", "error", "timeout"})
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
_NAMED_LINE = re.compile(r"\bline (\d+)\b")
_LEADING_JOINERS = re.compile(r"^[\s.;:,)]+")


_YOUR_ENDPOINT = re.compile(r"^your endpoint\s+", re.IGNORECASE)


def step_note(step: StepResult) -> str:
    """What a row's message adds to its expected and actual texts ("" when it adds nothing).

    The message may restate the actual text as it stands or in its own sentence ("Your endpoint did
    not finish cleanly: it raised …" for "your endpoint raised …"): either way only what follows it
    is new."""
    message = step.message.strip()
    actual = step.actual.strip()
    expected = step.expected.strip()
    if not message:
        return ""
    # What the page already shows beside the message, as the message may word it.
    candidates = [actual, _YOUR_ENDPOINT.sub("", actual)] if actual else [expected]
    for said in candidates:
        if said and said in message:
            return _LEADING_JOINERS.sub("", message[message.rindex(said) + len(said) :]).strip()
    return message


def inline_code(text: object) -> Markup:
    """Escaped text with `backticked` spans as <code> elements."""
    parts = _INLINE_CODE.split(str(text or ""))
    # split() with one group alternates: text, code, text, code, ...
    return Markup("").join(
        escape(part) if i % 2 == 0 else Markup("<code>%s</code>") % part for i, part in enumerate(parts)
    )


def named_line(text: str, code: str) -> int | None:
    """The line of ``code`` that ``text`` names ("at line 3", "(line 10: ...)"), if it exists."""
    match = _NAMED_LINE.search(text)
    line = int(match.group(1)) if match else 0
    return line if 1 <= line <= code.count("\n") + 1 else None


def first_failure(steps: Iterable[StepResult]) -> StepResult | None:
    """The first row that did not pass (skipped rows come after it)."""
    return next((step for step in steps if step.status in NOT_PASSED), None)


def lines_named(message: str, steps: Iterable[StepResult], code: str) -> list[int]:
    """The line to mark in the learner's code: the first failing row's, else the overall message's."""
    failed = first_failure(steps)
    text = f"{failed.actual} {failed.message}" if failed else message
    line = named_line(text, code)
    return [line] if line is not None else []


def step_message(step: StepResult) -> Markup:
    """The row's message as the result table shows it under the actual text: what it adds, once."""
    status = step.status
    note = step_note(step) if status in NOT_PASSED else step.message if status == "skipped" else ""
    return Markup('<div class="step-message">%s</div>') % inline_code(note) if note else Markup("")


TEMPLATE_HELPERS = {"inline_code": inline_code, "first_failure": first_failure, "step_message": step_message}
