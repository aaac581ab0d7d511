"""Golden cases: each folder under ``cases/`` holds a submission and the verdict it must get.

``expected.json``: ``exercise`` (slug), ``status`` (overall), ``steps`` (one status per
execution-table row) and optionally ``message_contains``: row number -> a substring (or a
list of substrings) of that step's message or actual, or ``"message"`` -> of the overall
message or output.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from grader.exercise import Exercise
from grader.grading import grade_source
from grader.limits import Limits
from grader.loader import find_exercise
from grader.results import Results, Status, StepStatus
from grader.sandbox import Sandbox

CASES = Path(__file__).parent / "cases"
CASE_NAMES = sorted(p.name for p in CASES.iterdir() if (p / "expected.json").is_file())
SEED = 1234


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(Limits(step_timeout=1.0)) as sb:
        yield sb


def _expected(case: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CASES / case / "expected.json").read_text(encoding="utf-8"))
    return data


def _report(results: Results) -> str:
    """What the grader said, for assertion messages."""
    lines = [f"overall {results.status}: {results.message!r} output={results.output[-400:]!r}"]
    for step in results.steps:
        lines.append(
            f"  {step.n} {step.status:8} {step.title} | expected={step.expected!r} "
            f"actual={step.actual!r} message={step.message!r}"
        )
    return "\n".join(lines)


def _grade(exercise: Exercise, code: str, sandbox: Sandbox, *, seed: int = SEED) -> Results:
    return grade_source(exercise, code, sandbox=sandbox, submission="submission.py", seed=seed)


def test_there_are_enough_cases() -> None:
    statuses = [_expected(case)["status"] for case in CASE_NAMES]
    assert len(CASE_NAMES) >= 20
    assert {"passed", "failed", "error"} <= set(statuses)


@pytest.mark.parametrize("case", CASE_NAMES)
def test_expected_file_is_well_formed(case: str) -> None:
    expected = _expected(case)
    exercise = find_exercise(expected["exercise"])
    steps = expected["steps"]
    assert len(steps) == len(exercise.execution_table)
    assert set(steps) <= {s.value for s in StepStatus}
    assert expected["status"] in {s.value for s in Status}
    if expected["status"] == "passed":
        assert set(steps) == {"passed"}
    for key, needles in expected.get("message_contains", {}).items():
        assert key == "message" or 1 <= int(key) <= len(steps)
        assert isinstance(needles, str) or (isinstance(needles, list) and all(isinstance(n, str) for n in needles))
    assert (CASES / case / "submission.py").is_file()


@pytest.mark.parametrize("case", CASE_NAMES)
def test_golden_case(case: str, sandbox: Sandbox) -> None:
    expected = _expected(case)
    exercise = find_exercise(expected["exercise"])
    code = (CASES / case / "submission.py").read_text(encoding="utf-8")

    results = _grade(exercise, code, sandbox)
    report = _report(results)

    assert results.exercise == exercise.slug
    assert results.submission == "submission.py"
    assert [s.n for s in results.steps] == [row.n for row in exercise.execution_table], report
    assert [s.title for s in results.steps] == [row.action for row in exercise.execution_table], report
    assert [s.status.value for s in results.steps] == expected["steps"], report
    assert results.status.value == expected["status"], report
    assert results.max_score == exercise.max_score
    assert results.score == sum(1.0 for s in results.steps if s.status is StepStatus.PASSED), report
    if results.status is Status.ERROR:
        assert results.message, report
    failing = results.failed_step()
    if failing is not None:
        assert failing.message, report
    for key, needles in expected.get("message_contains", {}).items():
        if key == "message":
            haystack = results.message + "\n" + results.output
        else:
            step = results.steps[int(key) - 1]
            haystack = step.message + "\n" + step.actual
        for needle in [needles] if isinstance(needles, str) else needles:
            assert needle in haystack, (
                f"{needle!r} not in the {'overall' if key == 'message' else 'step ' + key} " + report
            )


def _exercise_files() -> list[tuple[str, int | None]]:
    """(file, fails_at) for echo-once's reference, its other correct styles and its wrong variants."""
    exercise = find_exercise("echo-once")
    files: list[tuple[str, int | None]] = [(exercise.reference, None)]
    files += [(name, None) for name in exercise.also_correct]
    files += [(variant.file, variant.fails_at) for variant in exercise.variants]
    return files


@pytest.mark.parametrize(("file", "fails_at"), _exercise_files(), ids=[f for f, _ in _exercise_files()])
def test_echo_once_files_grade_as_declared(file: str, fails_at: int | None, sandbox: Sandbox) -> None:
    exercise = find_exercise("echo-once")
    results = _grade(exercise, exercise.source(file), sandbox)
    report = _report(results)
    if fails_at is None:
        assert results.status is Status.PASSED, report
        return
    statuses = [s.status for s in results.steps]
    assert results.status is Status.FAILED, report
    assert statuses[: fails_at - 1] == [StepStatus.PASSED] * (fails_at - 1), report
    assert statuses[fails_at - 1] in (StepStatus.FAILED, StepStatus.TIMEOUT, StepStatus.ERROR), report
    assert statuses[fails_at:] == [StepStatus.SKIPPED] * (len(statuses) - fails_at), report


def test_echo_once_starter_does_not_pass(sandbox: Sandbox) -> None:
    exercise = find_exercise("echo-once")
    assert exercise.starter.strip()
    results = _grade(exercise, exercise.starter, sandbox)
    assert results.status is Status.FAILED, _report(results)


def test_hard_coded_reply_is_caught_only_by_the_random_replay(sandbox: Sandbox) -> None:
    exercise = find_exercise("echo-once")
    hard_coded = exercise.source("wrong/hard_coded.py")
    first = _grade(exercise, hard_coded, sandbox)
    again = _grade(exercise, hard_coded, sandbox)
    other_seed = _grade(exercise, hard_coded, sandbox, seed=SEED + 1)

    step = first.steps[5]
    assert step.status is StepStatus.FAILED, _report(first)
    # The lesson's own run passes, so what was expected is a fresh random payload.
    assert "Message text was: Hello" not in step.expected, _report(first)
    assert "Message text was: Hello" in step.actual, _report(first)
    assert again.steps[5].expected == step.expected, "the same seed must replay the same payloads"
    assert other_seed.steps[5].expected != step.expected, "another seed must draw other payloads"
