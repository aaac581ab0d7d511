from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from grader.exercise import Exercise
from grader.formats import Format, render
from grader.formats.exercism import OUTPUT_LIMIT, TRUNCATED, to_dict
from grader.results import Results, Status, StepStatus


def test_all_outcomes_validate_against_the_schema(
    exercism_schema: dict[str, Any],
    exercise: Exercise,
    passed: Results,
    failed: Results,
    errored: Results,
    unloadable: Results,
) -> None:
    for results in (passed, failed, errored, unloadable):
        jsonschema.validate(to_dict(results, exercise), exercism_schema)
        jsonschema.validate(to_dict(results), exercism_schema)


def test_schema_rejects_what_the_interface_forbids(exercism_schema: dict[str, Any], failed: Results) -> None:
    document = to_dict(failed)
    for broken in (
        {**document, "version": 2},
        {**document, "status": "failed"},
        {**document, "message": "a message on a non-error result"},
        {"version": 3, "status": "error", "tests": []},
        {**document, "tests": [{**document["tests"][0], "output": "x" * 501}]},
        {**document, "status": "pass"},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, exercism_schema)


def test_statuses_map_to_pass_fail_error(passed: Results, failed: Results, unloadable: Results) -> None:
    assert to_dict(passed)["status"] == "pass"
    assert to_dict(failed)["status"] == "fail"
    assert to_dict(unloadable)["status"] == "error"
    assert "message" not in to_dict(failed)
    assert to_dict(unloadable)["message"].startswith("no endpoint found")
    assert to_dict(unloadable)["tests"] == []


def test_each_step_is_a_test_linked_to_its_row(failed: Results, exercise: Exercise) -> None:
    tests = to_dict(failed, exercise)["tests"]
    assert [t["task_id"] for t in tests] == [1, 2, 3, 4, 5, 6, 7]
    assert [t["status"] for t in tests] == ["pass", "fail"] + ["fail"] * 5
    assert tests[0]["name"] == "Step 1: Client connects to /ws"
    assert "message" not in tests[0]
    assert tests[1]["message"].startswith("Failed\nExpected: the connection to be accepted\nActual: ")


def test_test_code_shows_the_rows_check(failed: Results, exercise: Exercise) -> None:
    tests = to_dict(failed, exercise)["tests"]
    assert tests[0]["test_code"] == "# Step 1: Client connects to /ws\nclient.connect()"
    assert tests[3]["test_code"] == (
        "# Step 4: Client sends message 'Hello'\n"
        'client.send_text("{data}")\n'
        "client.expect_handled()\n"
        "# {data} is 'Hello' in the lesson, then a random text value"
    )
    assert 'client.expect_close(code=1008, reason_pattern="bye")\nclient.close()' in tests[6]["test_code"]


def test_without_the_exercise_test_code_names_the_step(failed: Results) -> None:
    assert to_dict(failed)["tests"][1]["test_code"] == "# Step 2: Server calls websocket.accept()"


def test_timeouts_fail_and_step_errors_error(build: Any) -> None:
    results = build([StepStatus.PASSED, StepStatus.TIMEOUT, StepStatus.ERROR, StepStatus.SKIPPED])
    assert [t["status"] for t in to_dict(results)["tests"]] == ["pass", "fail", "error", "fail"]


def test_output_goes_on_the_first_failing_test_truncated_to_500(build: Any, exercism_schema: dict[str, Any]) -> None:
    results = build([StepStatus.PASSED, StepStatus.FAILED, StepStatus.SKIPPED], output="x" * 2000)
    tests = to_dict(results)["tests"]
    assert "output" not in tests[0] and "output" not in tests[2]
    assert len(tests[1]["output"]) <= OUTPUT_LIMIT
    assert tests[1]["output"].endswith(TRUNCATED)
    jsonschema.validate(to_dict(results), exercism_schema)


def test_output_of_a_passing_submission_goes_on_the_last_test(build: Any) -> None:
    results = build([StepStatus.PASSED] * 3, output="hello from print\n")
    tests = to_dict(results)["tests"]
    assert tests[-1]["output"] == "hello from print\n"
    assert all("output" not in t for t in tests[:-1])


def test_error_message_includes_the_submissions_output(errored: Results) -> None:
    document = to_dict(errored)
    assert document["status"] == "error"
    assert document["message"] == "line 3: SyntaxError: invalid syntax\n\nTraceback (most recent call last):\n  ..."


def test_several_submissions_are_json_lines(passed: Results, unloadable: Results, exercise: Exercise) -> None:
    lines = render(Format.EXERCISM, [passed, unloadable], exercise=exercise).splitlines()
    assert [json.loads(line)["status"] for line in lines] == ["pass", "error"]
    assert Status.ERROR.value == "error"
