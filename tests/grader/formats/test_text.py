from __future__ import annotations

import io

from rich.console import Console

from grader.formats import Format, ResultsWriter, render
from grader.formats.text import submission_view, summary_view
from grader.results import Results


def plain(renderable: object, width: int = 160) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(renderable)
    assert isinstance(console.file, io.StringIO)
    return console.file.getvalue()


def test_table_lists_every_step_with_its_status(failed: Results) -> None:
    out = plain(submission_view(failed), width=240)
    assert "echo-once · learner.py  FAILED  1/7 steps" in out
    for n, word in [(1, "passed"), (2, "failed"), (3, "skipped")]:
        assert any(line.split()[:1] == [str(n)] and word in line for line in out.splitlines()), (n, out)
    assert "the connection to be accepted" in out
    assert "your endpoint closed it before accepting" in out
    assert "debug: got here" in out


def test_expected_and_actual_are_only_shown_for_steps_that_did_not_pass(passed: Results) -> None:
    out = plain(submission_view(passed))
    assert "PASSED  7/7 steps" in out
    assert "Expected" in out  # the column header
    assert "accepted" not in out


def test_an_unloadable_submission_shows_its_message(unloadable: Results) -> None:
    out = plain(submission_view(unloadable))
    assert "ERROR" in out
    assert "no endpoint found" in out
    assert "Step" not in out


def test_summary_counts_each_status(passed: Results, failed: Results, unloadable: Results) -> None:
    assert plain(summary_view([passed, failed, unloadable])).strip() == "3 submissions: 1 passed, 1 failed, 1 error"
    assert plain(summary_view([passed])).strip() == "1 submission: 1 passed, 0 failed, 0 error"


def test_plain_streams_get_no_escape_codes(failed: Results) -> None:
    out = render(Format.TEXT, [failed])
    assert "\x1b[" not in out
    assert out.rstrip().endswith("1 submission: 0 passed, 1 failed, 0 error")


def test_terminals_get_colour(failed: Results) -> None:
    stream = io.StringIO()
    writer = ResultsWriter(Format.TEXT, stream, many=False)
    writer._console = Console(file=stream, force_terminal=True, color_system="standard", width=160)
    writer.write(failed)
    assert "\x1b[" in stream.getvalue()


def test_narrow_terminals_fold_long_text_instead_of_cutting_it(failed: Results) -> None:
    out = plain(submission_view(failed), width=80)
    assert "…" not in out
    assert "websocket.acc" in out
