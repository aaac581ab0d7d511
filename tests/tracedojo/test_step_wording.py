from __future__ import annotations

from typing import Any

from grader.results import StepResult
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
