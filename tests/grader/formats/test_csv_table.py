from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from grader.formats import Format, render
from grader.formats.csv_table import COLUMNS, defuse
from grader.results import Results, Status


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_header_then_one_row_per_submission(passed: Results, failed: Results, unloadable: Results) -> None:
    out = render(Format.CSV, [passed, failed, unloadable])
    assert out.splitlines()[0] == ",".join(COLUMNS)
    table = rows(out)
    assert [r["submission"] for r in table] == ["learner.py", "learner.py", "broken.py"]
    assert table[0] == {
        "exercise": "echo-once",
        "submission": "learner.py",
        "status": "passed",
        "score": "7",
        "max_score": "7",
        "failed_step": "",
        "failed_step_title": "",
        "message": "",
        "duration_ms": "21.5",
    }


def test_failed_row_names_the_first_step_that_did_not_pass(failed: Results) -> None:
    (row,) = rows(render(Format.CSV, [failed]))
    assert (row["status"], row["score"], row["failed_step"]) == ("failed", "1", "2")
    assert row["failed_step_title"] == "Server calls websocket.accept()"
    assert row["message"] == "call await websocket.accept() first"


def test_error_row_carries_the_overall_message(unloadable: Results) -> None:
    (row,) = rows(render(Format.CSV, [unloadable]))
    assert row["status"] == "error"
    assert row["failed_step"] == ""
    assert row["message"].startswith("no endpoint found")


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_formula_injection_is_defused(build: Any, start: str) -> None:
    evil = build([], submission=f'{start}HYPERLINK("http://x")', status=Status.ERROR, message=f"{start}1+1")
    (row,) = rows(render(Format.CSV, [evil]))
    assert row["submission"] == f'\'{start}HYPERLINK("http://x")'
    assert row["message"] == f"'{start}1+1"


def test_defuse_leaves_ordinary_cells_alone() -> None:
    assert defuse("learner.py") == "learner.py"
    assert defuse("7") == "7"
    assert defuse("a=b") == "a=b"


def test_commas_quotes_and_newlines_survive_a_round_trip(build: Any) -> None:
    tricky = build([], submission='a, "b".py', status=Status.ERROR, message='line 1\nline 2, with "quotes"')
    (row,) = rows(render(Format.CSV, [tricky]))
    assert row["submission"] == 'a, "b".py'
    assert row["message"] == 'line 1\nline 2, with "quotes"'
