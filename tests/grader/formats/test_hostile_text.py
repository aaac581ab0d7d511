"""Learner-controlled text cannot break an output format, style a terminal, or lose later results."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import jsonschema
import pytest
from rich.console import Console

from grader.formats import Format, ResultsWriter, render
from grader.formats.exercism import to_dict as exercism_dict
from grader.formats.gradescope import to_dict as gradescope_dict
from grader.formats.text import submission_view
from grader.results import Frame, Results, Status, StepResult, StepStatus, clean_text

ESC = "\x1b"
# Clear the screen, set the window title (OSC), a C1 CSI, a lone carriage return to overwrite a line,
# a right-to-left override, a lone surrogate, and Rich markup that does not parse.
HOSTILE = f"{ESC}[2J{ESC}]0;owned\x07\x9b31m\rPASSED \u202e[/][bold]x[/bold]\udc80 end"


def _hostile_results() -> Results:
    step = StepResult(
        n=1,
        title="Client connects [/]",
        status=StepStatus.FAILED,
        expected=HOSTILE,
        actual=HOSTILE,
        message=HOSTILE,
        variables={HOSTILE: HOSTILE},
        frames=[Frame(client="client", direction="to_client", type="text", payload=HOSTILE, reason=HOSTILE)],
    )
    return Results(
        exercise="echo-once",
        submission=f"evil{ESC}[31m.py",
        status=Status.FAILED,
        score=0.0,
        max_score=2.0,
        message=HOSTILE,
        output=HOSTILE + "\nsecond line\r\n",
        steps=[step, StepResult(n=2, title="Server accepts", status=StepStatus.SKIPPED, message="not run")],
    )


def _raw_controls(text: str) -> list[str]:
    return [
        c for c in text if (ord(c) < 0x20 and c not in "\n\t\r") or 0x7F <= ord(c) <= 0x9F or 0xD800 <= ord(c) <= 0xDFFF
    ]


def test_cleaning_escapes_what_a_terminal_would_obey_and_keeps_the_rest() -> None:
    cleaned = clean_text(HOSTILE)
    assert _raw_controls(cleaned) == []
    assert "\\x1b[2J" in cleaned and "\\x1b]0;owned\\x07" in cleaned and "\\x9b31m" in cleaned
    assert "\\u202e" in cleaned and "\\udc80" in cleaned
    assert "\rPASSED" in cleaned  # kept in the model (JSON and CSV quote it); the terminal view drops it
    assert "[/][bold]x[/bold]" in cleaned
    assert clean_text("tab\tnew\nline, élève, 你好, 🙂") == "tab\tnew\nline, élève, 你好, 🙂"
    assert clean_text("windows\r\nline") == "windows\r\nline"


def test_every_learner_field_is_cleaned_as_it_enters_the_model() -> None:
    results = _hostile_results()
    step = results.steps[0]
    texts = [results.message, results.output, results.submission, step.expected, step.actual, step.message]
    texts += list(step.variables) + list(step.variables.values())
    texts += [step.frames[0].payload or "", step.frames[0].reason or ""]
    for text in texts:
        assert _raw_controls(text) == [], text
    # The same holds for results read back from storage (the platform's JSON columns).
    raw = json.loads(json.dumps({**results.model_dump(mode="json"), "message": HOSTILE}))
    assert _raw_controls(Results.model_validate(raw).message) == []


@pytest.mark.parametrize("format", list(Format))
def test_a_hostile_result_renders_in_every_format_and_later_results_survive(format: Format) -> None:
    later = Results(
        exercise="echo-once", submission="later.py", status=Status.PASSED, score=2.0, max_score=2.0, message="fine"
    )
    out = render(format, [_hostile_results(), later])
    out.encode("utf-8")  # no lone surrogate left to fail an encoder
    assert ESC not in out and "\x9b" not in out and "\x07" not in out
    if format is Format.TEXT:
        assert "\r" not in out
    if format is Format.EXERCISM:  # no submission names: one document per submission
        assert [json.loads(line)["status"] for line in out.splitlines()] == ["fail", "pass"]
    else:
        assert "later.py" in out
    assert "[/]" in out or format is Format.CSV  # the CSV row carries the overall message, which has it too
    if format is Format.JSON:
        first, second = (json.loads(line) for line in out.splitlines())
        assert first["message"] == clean_text(HOSTILE) and second["submission"] == "later.py"
    if format is Format.CSV:
        rows = list(csv.reader(io.StringIO(out)))
        assert [row[1] for row in rows[1:]] == [clean_text(f"evil{ESC}[31m.py"), "later.py"]


def test_rich_markup_in_learner_text_is_shown_as_typed() -> None:
    console = Console(file=io.StringIO(), width=600, color_system=None)
    console.print(submission_view(_hostile_results()))
    assert isinstance(console.file, io.StringIO)
    out = console.file.getvalue()
    assert "[/][bold]x[/bold]" in out
    assert "Client connects [/]" in out


def test_hostile_results_stay_valid_for_gradescope_and_exercism(
    gradescope_schema: dict[str, Any], exercism_schema: dict[str, Any]
) -> None:
    results = _hostile_results()
    jsonschema.validate(gradescope_dict(results), gradescope_schema)
    jsonschema.validate(exercism_dict(results), exercism_schema)
    assert "frames" not in json.dumps(gradescope_dict(results)) and "frames" not in json.dumps(exercism_dict(results))


def test_a_stream_in_a_narrow_encoding_gets_escapes_instead_of_losing_the_batch() -> None:
    later = Results(exercise="echo-once", submission="later.py", status=Status.PASSED, score=1.0, max_score=1.0)
    unicode = Results(
        exercise="echo-once", submission="élève-你好.py", status=Status.FAILED, score=0.0, max_score=1.0, message="ß"
    )
    for format in (Format.JSON, Format.CSV, Format.GRADESCOPE, Format.EXERCISM, Format.TEXT):
        buffer = io.BytesIO()
        stream = io.TextIOWrapper(buffer, encoding="ascii", errors="strict", write_through=True)
        writer = ResultsWriter(format, stream, many=True)
        writer.write(unicode)
        writer.write(later)
        writer.finish()
        written = buffer.getvalue().decode("ascii")
        assert written.count("echo-once") == 2 or format is Format.EXERCISM, (format, written)
        assert written.count('"version"') == 2 or format is not Format.EXERCISM, written
        assert "\\u4f60" in written or "\\\\u4f60" in written or format is Format.EXERCISM, (format, written)
