from __future__ import annotations

import io

from rich.console import Console

from grader.exercise import Exercise
from grader.formats.exercises import check_report, exercise_table
from grader.results import Results
from grader.selfcheck import ExerciseCheck, SolutionCheck


def plain(renderable: object) -> str:
    console = Console(file=io.StringIO(), width=200, color_system=None)
    console.print(renderable)
    assert isinstance(console.file, io.StringIO)
    return console.file.getvalue()


def test_exercise_table_has_one_row_per_exercise(exercise: Exercise) -> None:
    later = exercise.model_copy(update={"slug": "echo-loop", "order": 2, "builds_on": ["echo-once"]})
    out = plain(exercise_table([exercise, later]))
    assert "Order" in out and "Quiz" in out and "Builds on" in out
    rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert rows[0][:2] == ["100", "echo-once"] and rows[0][-3:] == ["7", "3", "-"]
    assert rows[1][:2] == ["2", "echo-loop"] and rows[1][-1] == "echo-once"


def test_check_report_names_each_problem(passed: Results, failed: Results) -> None:
    good = ExerciseCheck("echo-once", solutions=[SolutionCheck("solution.py", None, passed)])
    bad = ExerciseCheck(
        "echo-loop",
        problems=["exercise.yaml: field quiz: too short"],
        solutions=[SolutionCheck("wrong/a.py", 3, failed, "must fail at step 3 but failed at step 2 (x)")],
    )
    out = plain(check_report([good, bad]))
    assert "ok      echo-once  1/1 solutions behave as declared" in out
    assert "PROBLEM echo-loop  0/1 solutions behave as declared" in out
    assert "  exercise.yaml: field quiz: too short" in out
    assert "  wrong/a.py: must fail at step 3 but failed at step 2 (x)" in out
    assert out.rstrip().endswith("2 exercises checked: 1 ok, 1 with problems")
