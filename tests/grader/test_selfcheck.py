from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import grader.batch
from grader.exercise import Exercise
from grader.loader import UnknownExercise, default_exercises_dir, find_exercise
from grader.results import Results, Status, StepResult, StepStatus
from grader.sandbox import Sandbox
from grader.selfcheck import check_exercise, load_for_check, run_checks, solution_count

ECHO_ONCE = default_exercises_dir() / "echo-once"


def results_failing_at(exercise: Exercise, path: Path, fails_at: int | None) -> Results:
    steps = []
    for row in exercise.execution_table:
        if fails_at is None or row.n < fails_at:
            status = StepStatus.PASSED
        elif row.n == fails_at:
            status = StepStatus.FAILED
        else:
            status = StepStatus.SKIPPED
        steps.append(StepResult(n=row.n, title=row.action, status=status, message="wrong" if row.n == fails_at else ""))
    return Results(
        exercise=exercise.slug,
        submission=path.name,
        status=Status.PASSED if fails_at is None else Status.FAILED,
        score=float(sum(s.status is StepStatus.PASSED for s in steps)),
        max_score=exercise.max_score,
        steps=steps,
    )


def fake_engine(monkeypatch: pytest.MonkeyPatch, behaviour: dict[str, int | None]) -> None:
    """Grade by file name: ``behaviour[name]`` is the step it fails at (None: passes)."""

    def grade_file(exercise: Exercise, path: Path, *, sandbox: Sandbox, seed: int | None = None) -> Results:
        relative = path.relative_to(exercise.folder).as_posix()
        declared = {v.file: v.fails_at for v in exercise.variants}
        return results_failing_at(exercise, path, behaviour.get(relative, declared.get(relative)))

    monkeypatch.setattr(grader.batch, "grade_file", grade_file)


def test_solutions_behaving_as_declared_are_ok(monkeypatch: pytest.MonkeyPatch) -> None:
    exercise = find_exercise("echo-once")
    fake_engine(monkeypatch, {})
    report = check_exercise(exercise, sandbox=Sandbox(), jobs=2)
    assert report.ok
    # the reference, the other correct styles, the wrong variants, and the puzzles' answer (the sample's code)
    assert len(report.solutions) == 1 + len(exercise.also_correct) + len(exercise.variants) + 1
    assert report.solutions[-1].file.startswith("modes: ")
    assert report.solutions[0].file == "solution.py"
    assert report.solutions[0].expectation == "passes every step"
    assert report.solutions[-2].expectation == f"fails at step {exercise.variants[-1].fails_at}"
    assert report.solutions[-1].expectation == "passes every step"


def test_a_variant_failing_at_another_step_is_a_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    exercise = find_exercise("echo-once")
    variant = exercise.variants[0]
    fake_engine(monkeypatch, {variant.file: variant.fails_at + 1})
    report = check_exercise(exercise, sandbox=Sandbox())
    assert not report.ok
    (bad,) = [s for s in report.solutions if not s.ok]
    assert bad.file == variant.file
    assert bad.problem.startswith(f"must fail at step {variant.fails_at} but failed at step {variant.fails_at + 1} (")
    assert bad.problem.endswith("): wrong")


def test_a_variant_that_passes_is_a_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    exercise = find_exercise("echo-once")
    variant = exercise.variants[1]
    fake_engine(monkeypatch, {variant.file: None})
    (bad,) = [s for s in check_exercise(exercise, sandbox=Sandbox()).solutions if not s.ok]
    assert bad.problem == f"must fail at step {variant.fails_at} but passed every step"


def test_a_reference_that_fails_is_a_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    exercise = find_exercise("echo-once")
    fake_engine(monkeypatch, {exercise.reference: 4})
    (bad,) = [s for s in check_exercise(exercise, sandbox=Sandbox()).solutions if not s.ok]
    assert bad.file == "solution.py"
    assert bad.problem.startswith("must pass every step but failed at step 4 (")


def test_a_solution_that_cannot_load_is_reported_with_its_message(monkeypatch: pytest.MonkeyPatch) -> None:
    exercise = find_exercise("echo-once")

    def grade_file(exercise: Exercise, path: Path, *, sandbox: Sandbox, seed: int | None = None) -> Results:
        return Results(
            exercise=exercise.slug,
            submission=path.name,
            status=Status.ERROR,
            score=0,
            max_score=7,
            message="line 1: SyntaxError",
        )

    monkeypatch.setattr(grader.batch, "grade_file", grade_file)
    report = check_exercise(exercise, sandbox=Sandbox())
    assert report.solutions[0].problem == "must pass every step but did not run (error: line 1: SyntaxError)"
    (last_variant,) = [s for s in report.solutions if s.file == exercise.variants[-1].file]
    assert last_variant.problem.endswith("but did not run (error: line 1: SyntaxError)")


def test_loading_records_schema_problems_per_folder(tmp_path: Path) -> None:
    shutil.copytree(ECHO_ONCE, tmp_path / "echo-once")
    (tmp_path / "draft").mkdir()
    (tmp_path / ".hidden").mkdir()
    bad = tmp_path / "bad-order"
    shutil.copytree(ECHO_ONCE, bad)
    data = (bad / "exercise.yaml").read_text(encoding="utf-8").replace("slug: echo-once", "slug: bad-order")
    (bad / "exercise.yaml").write_text(data.replace("order: 1", "order: first"), encoding="utf-8")
    checks = {c.name: c for c in load_for_check([], tmp_path)}
    assert set(checks) == {"bad-order", "draft", "echo-once"}
    assert checks["echo-once"].ok and checks["echo-once"].exercise is not None
    assert not checks["draft"].has_data_file
    assert checks["draft"].problems == [f"{tmp_path / 'draft'}: no exercise.yaml in this folder"]
    (problem,) = checks["bad-order"].problems
    assert "exercise.yaml: field order:" in problem
    assert solution_count(list(checks.values())) == solution_count([checks["echo-once"]])


def test_builds_on_must_name_a_known_exercise(tmp_path: Path) -> None:
    shutil.copytree(ECHO_ONCE, tmp_path / "echo-once")
    data_file = tmp_path / "echo-once" / "exercise.yaml"
    data_file.write_text(
        data_file.read_text(encoding="utf-8").replace("order: 1", "order: 1\nbuilds_on: [hello-http]"), encoding="utf-8"
    )
    (check,) = load_for_check(["echo-once"], tmp_path)
    assert check.problems == [f"{data_file.resolve()}: field builds_on: unknown exercise 'hello-http'"]


def test_unknown_names_raise(tmp_path: Path) -> None:
    with pytest.raises(UnknownExercise):
        load_for_check(["nope"], tmp_path)


def test_run_checks_keeps_exercises_that_did_not_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(ECHO_ONCE, tmp_path / "echo-once")
    (tmp_path / "draft").mkdir()
    fake_engine(monkeypatch, {})
    checked = run_checks(load_for_check([], tmp_path), sandbox=Sandbox())
    assert [(c.name, c.ok) for c in checked] == [("draft", False), ("echo-once", True)]
    assert checked[1].solutions
