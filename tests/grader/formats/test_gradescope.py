from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from grader.formats import Format, render
from grader.formats.gradescope import to_dict
from grader.results import Results, StepStatus


def test_all_outcomes_validate_against_the_schema(
    gradescope_schema: dict[str, Any], passed: Results, failed: Results, errored: Results, unloadable: Results
) -> None:
    for results in (passed, failed, errored, unloadable):
        jsonschema.validate(to_dict(results), gradescope_schema)


def test_schema_rejects_what_gradescope_would(gradescope_schema: dict[str, Any], passed: Results) -> None:
    document = to_dict(passed)
    for broken in (
        {**document, "visibility": "sometimes"},
        {**document, "tests": [{**document["tests"][0], "status": "pass"}]},
        {**document, "tests": [{**document["tests"][0], "number": 1}]},
        {key: value for key, value in document.items() if key != "score"} | {"tests": [{"name": "no score"}]},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, gradescope_schema)


def test_one_test_per_trace_step(failed: Results) -> None:
    document = to_dict(failed)
    assert document["score"] == 1.0
    assert [t["number"] for t in document["tests"]] == ["1", "2", "3", "4", "5", "6", "7"]
    first, second = document["tests"][:2]
    assert first == {
        "name": "Step 1: Client connects to /ws",
        "number": "1",
        "score": 1.0,
        "max_score": 1.0,
        "status": "passed",
        "output": "Passed",
        "visibility": "visible",
    }
    assert second["status"] == "failed"
    assert second["score"] == 0.0
    assert "Expected: the connection to be accepted" in second["output"]
    assert "Actual: your endpoint closed it before accepting" in second["output"]
    assert document["tests"][2]["status"] == "failed"
    assert document["tests"][2]["output"] == "Not run (an earlier step did not pass)"


def test_step_scores_add_up_to_the_score(build: Any) -> None:
    results = build([StepStatus.PASSED, StepStatus.PASSED, StepStatus.TIMEOUT] + [StepStatus.SKIPPED] * 4)
    document = to_dict(results)
    assert sum(t["score"] for t in document["tests"]) == pytest.approx(document["score"])
    assert sum(t["max_score"] for t in document["tests"]) == pytest.approx(results.max_score)


def test_overall_output_explains_an_error_and_shows_what_the_code_printed(unloadable: Results, failed: Results) -> None:
    document = to_dict(unloadable)
    assert document["tests"] == []
    assert document["score"] == 0.0
    assert "no endpoint found" in document["output"]
    assert "debug: got here" in to_dict(failed)["output"]
    assert "Step 2: Server calls websocket.accept()" in to_dict(failed)["output"]


def test_execution_time_is_in_seconds(passed: Results) -> None:
    assert to_dict(passed)["execution_time"] == pytest.approx(0.0215)


def test_visibility_applies_to_every_test(passed: Results, gradescope_schema: dict[str, Any]) -> None:
    document = to_dict(passed, visibility="after_due_date")
    jsonschema.validate(document, gradescope_schema)
    assert {t["visibility"] for t in document["tests"]} == {"after_due_date"}


def test_several_submissions_are_one_results_json_per_line(passed: Results, failed: Results) -> None:
    lines = render(Format.GRADESCOPE, [passed, failed]).splitlines()
    assert [json.loads(line)["score"] for line in lines] == [7.0, 1.0]


def test_a_skipped_steps_own_message_is_shown_once(build: Any) -> None:
    results = build([StepStatus.FAILED, StepStatus.SKIPPED])
    results.steps[1] = results.steps[1].model_copy(update={"message": "not run: an earlier step did not pass"})
    assert to_dict(results)["tests"][1]["output"] == "not run: an earlier step did not pass"
