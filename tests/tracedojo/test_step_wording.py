from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from grader import load_exercises
from grader.grading import grade_source
from grader.limits import Limits
from grader.results import StepResult
from grader.sandbox import Sandbox
from tracedojo.step_wording import first_failure, inline_code, lines_named, named_line, step_note


def row(**fields: Any) -> StepResult:
    return StepResult(title=f"Step {fields.get('n', 1)}", **{"n": 1, **fields})


# Real rows from the grader (echo-once's wrong/ files), so the rules follow its wording.
WRONG_TEXT = row(
    n=6,
    status="failed",
    expected="the text message 'Message text was: Hello'",
    actual="the text message 'You said: Hello'",
    message="Expected the text message 'Message text was: Hello', but received the text message 'You said: Hello'.",
)
FORGOT_ACCEPT = row(
    n=2,
    status="failed",
    expected="the connection to be accepted",
    actual="before accepting, your endpoint raised WebSocketDisconnected"
    " (line 8: data = await websocket.receive_text())",
    message="Expected the connection to be accepted; before accepting, your endpoint raised WebSocketDisconnected"
    " (line 8: data = await websocket.receive_text()). Call `await websocket.accept()` before receiving or sending.",
)


def test_a_message_that_restates_expected_and_actual_adds_nothing() -> None:
    assert step_note(WRONG_TEXT) == ""


def test_only_the_advice_after_the_actual_text_is_kept() -> None:
    assert step_note(FORGOT_ACCEPT) == "Call `await websocket.accept()` before receiving or sending."


def test_a_message_saying_something_else_is_kept_whole() -> None:
    assert step_note(row(status="skipped", message="not run: an earlier step did not pass")) == (
        "not run: an earlier step did not pass"
    )
    assert step_note(row(status="failed", expected="x", actual="", message="Timed out after 2 s.")) == (
        "Timed out after 2 s."
    )


def test_inline_code_becomes_code_and_everything_else_is_escaped() -> None:
    assert str(inline_code("Call `await websocket.accept()` <now>")) == (
        "Call <code>await websocket.accept()</code> &lt;now&gt;"
    )
    assert str(inline_code("`<script>`")) == "<code>&lt;script&gt;</code>"
    assert str(inline_code("a lone ` backtick")) == "a lone ` backtick"


def test_the_named_line_must_exist_in_the_code() -> None:
    code = "a\nb\nc\n"
    assert named_line("SyntaxError at line 3: expected ':'", code) == 3
    assert named_line("raised TypeError (line 10: x)", code) is None
    assert named_line("no line here", code) is None


def test_the_line_to_mark_is_the_first_failing_rows() -> None:
    code = "\n".join(f"line {i}" for i in range(1, 12))
    steps = [row(n=1, status="passed"), FORGOT_ACCEPT, row(n=3, status="skipped")]
    assert first_failure(steps) is FORGOT_ACCEPT
    assert lines_named("Step 2 failed", steps, code) == [8]
    assert lines_named("SyntaxError at line 3", [row(n=1, status="skipped")], code) == [3]


def test_a_restatement_in_the_messages_own_words_is_said_once() -> None:
    unclean = row(
        status="failed",
        expected="the endpoint to finish cleanly after the disconnect",
        actual="your endpoint raised WebSocketDisconnect: code 1000 (line 11: data = await websocket.receive_text())",
        message="Your endpoint did not finish cleanly: it raised WebSocketDisconnect: code 1000 (line 11: data = "
        "await websocket.receive_text()). Wrap the loop in `try: ... except WebSocketDisconnect: ...`.",
    )
    assert step_note(unclean) == "Wrap the loop in `try: ... except WebSocketDisconnect: ...`."


VARIANTS = [(e, v.file) for e in load_exercises() for v in e.variants]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(Limits(step_timeout=1.0)) as sb:
        yield sb


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.strip()) > 12]


@pytest.mark.parametrize(("exercise", "file"), VARIANTS, ids=[f"{e.slug}:{f}" for e, f in VARIANTS])
def test_every_wrong_file_s_failure_is_said_once(exercise: Any, file: str, sandbox: Sandbox) -> None:
    """The first failing row of every lesson's wrong files, as the result pages show it (expected,
    actual, and what the message adds): no sentence of one is said again in another."""
    results = grade_source(exercise, exercise.source(file), sandbox=sandbox, submission="s.py", seed=1)
    failed = first_failure(results.steps)
    assert failed is not None, results.message
    shown = {"expected": failed.expected, "actual": failed.actual, "note": step_note(failed)}
    for name, text in shown.items():
        for sentence in _sentences(text):
            again = [other for other, said in shown.items() if other != name and sentence in said]
            assert not again, f"{name} says {sentence!r} again in {again}"
    # A message that only restates expected and actual adds nothing; advice stays whole.
    assert failed.actual not in step_note(failed) or not failed.actual
