"""The platform's result model: steps are the grader's StepResult, the result columns named once."""

from __future__ import annotations

from grader.results import Results, Status, StepResult, StepStatus
from tracedojo.models import GradedResult, Submission, SubmissionPublic, SubmissionStatus, first_failure, parse_steps


def test_stored_steps_are_read_as_step_results_leaving_out_what_is_not_one() -> None:
    stored = [
        {"n": 1, "title": "a", "status": "passed"},
        "not a step",
        {"n": "two", "title": "b", "status": "failed"},
        {"n": 3, "title": "c", "status": "timeout", "message": "too slow"},
    ]
    steps = parse_steps(stored)
    assert [(s.n, s.status) for s in steps] == [(1, StepStatus.PASSED), (3, StepStatus.TIMEOUT)]
    assert parse_steps(None) == [] and parse_steps({"n": 1}) == []
    failed = first_failure(steps)
    assert failed is not None and failed.n == 3 and failed.message == "too slow"
    assert first_failure([StepResult(n=1, title="a", status=StepStatus.SKIPPED)]) is None


def test_result_columns_round_trip_through_a_row_and_the_public_shape() -> None:
    steps = [
        StepResult(n=1, title="a", status=StepStatus.PASSED, variables={"data": "'hi'"}),
        StepResult(n=2, title="b", status=StepStatus.FAILED, expected="x", actual="y"),
    ]
    results = Results(exercise="e", submission="s", status=Status.FAILED, score=1, max_score=2, steps=steps)
    columns = GradedResult.of_results(results).columns()
    assert columns["status"] == "failed" and columns["max_score"] == 2
    assert columns["steps"] == [s.model_dump(mode="json") for s in steps]  # JSON for the column
    row = Submission(id=5, user_id=1, exercise_slug="e", exercise_version="v", code="", **columns)
    assert row.step_results == steps
    public = SubmissionPublic.of(row)
    assert public.steps == steps
    assert public.model_dump(mode="json")["steps"] == columns["steps"]


def test_an_error_leaves_the_maximum_and_clears_the_rest() -> None:
    columns = GradedResult(status=SubmissionStatus.ERROR, score=0.0, message="boom").columns()
    assert "max_score" not in columns
    assert columns == {
        "status": "error",
        "score": 0.0,
        "message": "boom",
        "output": "",
        "duration_ms": None,
        "steps": [],
    }
