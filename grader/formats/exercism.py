"""Exercism test-runner interface, version 3 (exercism.org/docs/building/tooling/test-runners/interface)."""

from __future__ import annotations

import json
from typing import Any

from grader.exercise import Exercise
from grader.formats._check_code import step_code
from grader.formats._text import step_name, step_report, truncate
from grader.results import Results, Status, StepResult, StepStatus

VERSION = 3
OUTPUT_LIMIT = 500
TRUNCATED = "Output was truncated. Please limit to 500 chars"

_OVERALL = {Status.PASSED: "pass", Status.FAILED: "fail", Status.ERROR: "error"}
# A step that hung is the endpoint's behaviour failing, not the test harness erroring.
_PER_TEST = {
    StepStatus.PASSED: "pass",
    StepStatus.FAILED: "fail",
    StepStatus.TIMEOUT: "fail",
    StepStatus.ERROR: "error",
    StepStatus.SKIPPED: "fail",
}


def _output(text: str) -> str:
    if len(text) <= OUTPUT_LIMIT:
        return text
    return truncate(text, OUTPUT_LIMIT, "\n" + TRUNCATED)


def _test_code(step: StepResult, exercise: Exercise | None) -> str:
    row = next((r for r in exercise.execution_table if r.n == step.n), None) if exercise else None
    if row is None:
        return f"# {step_name(step)}"
    return step_code(row, exercise)


def _error_message(results: Results) -> str:
    parts = [results.message or "your code could not be graded"]
    if results.output:
        parts.append(results.output)
    return "\n\n".join(parts)


def to_dict(results: Results, exercise: Exercise | None = None) -> dict[str, Any]:
    """``exercise`` (the one graded) lets each test show the trace row's check as its test code."""
    # Exercism wants only what the learner printed, and only on tests; it goes with the
    # step the learner will look at: the first that did not pass, else the last.
    failed = results.failed_step()
    output_step = failed or (results.steps[-1] if results.steps else None)
    tests: list[dict[str, Any]] = []
    for step in results.steps:
        test: dict[str, Any] = {
            "name": step_name(step),
            "status": _PER_TEST[step.status],
            "test_code": _test_code(step, exercise),
            "task_id": step.n,
        }
        if step.status is not StepStatus.PASSED:
            test["message"] = step_report(step)
        if step is output_step and results.output:
            test["output"] = _output(results.output)
        tests.append(test)
    document: dict[str, Any] = {"version": VERSION, "status": _OVERALL[results.status]}
    if results.status is Status.ERROR:
        document["message"] = _error_message(results)
    document["tests"] = tests
    return document


def dumps(results: Results, *, many: bool, exercise: Exercise | None = None) -> str:
    if many:
        return json.dumps(to_dict(results, exercise), ensure_ascii=False, separators=(",", ":")) + "\n"
    return json.dumps(to_dict(results, exercise), ensure_ascii=False, indent=2) + "\n"
