"""``tracedojo check``: an exercise is usable when its data file validates, its reference and
other correct solutions pass every step, each known-wrong variant fails exactly at its row, and its
modes' puzzles are solvable (the Parsons and blanks answer built from the sample passes)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from grader.batch import grade_paths
from grader.exercise import Exercise
from grader.grading import grade_source
from grader.loader import DATA_FILE, ExerciseError, default_exercises_dir, find_exercise, load_exercise
from grader.puzzles import answer_codes
from grader.puzzles import problems as puzzle_problems
from grader.results import Results, Status
from grader.sandbox import Sandbox


@dataclass(frozen=True)
class SolutionCheck:
    """One solution file and what it must do: pass every step (``fails_at`` None) or fail at a row."""

    file: str
    fails_at: int | None
    results: Results
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem

    @property
    def expectation(self) -> str:
        return "passes every step" if self.fails_at is None else f"fails at step {self.fails_at}"


@dataclass
class ExerciseCheck:
    name: str
    exercise: Exercise | None = None
    problems: list[str] = field(default_factory=list)
    solutions: list[SolutionCheck] = field(default_factory=list)
    has_data_file: bool = True

    @property
    def ok(self) -> bool:
        return not self.problems and all(s.ok for s in self.solutions)


def _outcome(results: Results) -> str:
    failed = results.failed_step()
    if failed is None:
        if results.passed:
            return "passed every step"
        return f"did not run ({results.status.value}: {results.message or 'no message'})"
    detail = failed.message or failed.actual or results.message
    outcome = f"{failed.status.value} at step {failed.n} ({failed.title})"
    return f"{outcome}: {detail}" if detail else outcome


def _judge(exercise: Exercise, fails_at: int | None, results: Results) -> str:
    numbers = [s.n for s in results.steps]
    expected_numbers = [row.n for row in exercise.execution_table]
    if results.steps and numbers != expected_numbers:
        return f"results cover steps {numbers}, but the execution table has {expected_numbers}"
    failed = results.failed_step()
    if fails_at is None:
        if results.passed and failed is None and numbers == expected_numbers:
            return ""
        return f"must pass every step but {_outcome(results)}"
    if failed is not None and failed.n == fails_at and not results.passed:
        return ""
    return f"must fail at step {fails_at} but {_outcome(results)}"


def check_exercise(
    exercise: Exercise,
    *,
    sandbox: Sandbox,
    jobs: int = 1,
    seed: int | None = None,
    on_solution: Callable[[Results], None] | None = None,
) -> ExerciseCheck:
    """Grade the exercise's own solutions and compare each with what it declares."""
    expectations: list[tuple[str, int | None]] = [
        (exercise.reference, None),
        *((name, None) for name in exercise.also_correct),
        *((variant.file, variant.fails_at) for variant in exercise.variants),
    ]
    files = [exercise.folder / name for name, _ in expectations]
    graded = grade_paths(exercise, files, sandbox=sandbox, jobs=jobs, seed=seed, on_result=on_solution)
    report = ExerciseCheck(name=exercise.slug, exercise=exercise)
    for (name, fails_at), results in zip(expectations, graded, strict=False):
        results = results.model_copy(update={"submission": name})
        report.solutions.append(SolutionCheck(name, fails_at, results, _judge(exercise, fails_at, results)))
    for name, code in answer_codes(exercise):
        results = _grade_answer(exercise, name, code, sandbox=sandbox, seed=seed)
        if on_solution is not None:
            on_solution(results)
        report.solutions.append(SolutionCheck(name, None, results, _judge(exercise, None, results)))
    return report


def _grade_answer(exercise: Exercise, name: str, code: str, *, sandbox: Sandbox, seed: int | None) -> Results:
    """A mode's own answer graded like a solution file (a grader failure is its result, as in a batch)."""
    try:
        return grade_source(exercise, code, sandbox=sandbox, submission=name, seed=seed)
    except Exception as exc:
        return Results(
            exercise=exercise.slug,
            submission=name,
            status=Status.ERROR,
            score=0.0,
            max_score=exercise.max_score,
            message=f"the grader failed on this answer ({type(exc).__name__}: {exc})",
        )


def exercise_folders(root: Path | str | None = None) -> list[Path]:
    """Every folder under the exercises root that is meant to be an exercise."""
    root = Path(root) if root is not None else default_exercises_dir()
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def load_for_check(names: Sequence[str], root: Path | str | None = None) -> list[ExerciseCheck]:
    """Load the named exercises (all under ``root`` when none are named), recording schema problems.

    An unknown name raises ``UnknownExercise`` (a usage error, not a broken exercise).
    """
    checks: list[ExerciseCheck] = []
    if names:
        for name in names:
            try:
                checks.append(ExerciseCheck(name=name, exercise=find_exercise(name, root)))
            except ExerciseError as exc:
                checks.append(ExerciseCheck(name=name, problems=[str(exc)]))
    else:
        for folder in exercise_folders(root):
            if not (folder / DATA_FILE).is_file():
                problem = f"{folder}: no {DATA_FILE} in this folder"
                checks.append(ExerciseCheck(name=folder.name, problems=[problem], has_data_file=False))
                continue
            try:
                checks.append(ExerciseCheck(name=folder.name, exercise=load_exercise(folder)))
            except ExerciseError as exc:
                checks.append(ExerciseCheck(name=folder.name, problems=[str(exc)]))
    known = {p.name for p in exercise_folders(root) if (p / DATA_FILE).is_file()}
    for check in checks:
        if check.exercise is not None and not check.exercise.has_lines:
            check.problems.append(
                f"{check.exercise.folder / DATA_FILE}: field execution_table: no row gives 'lines' "
                "(the sample lines it executes), which the lesson stepper marks"
            )
        if check.exercise is not None:
            check.problems.extend(f"{check.exercise.folder / DATA_FILE}: {p}" for p in puzzle_problems(check.exercise))
            for slug in check.exercise.builds_on:
                if slug not in known:
                    check.problems.append(
                        f"{check.exercise.folder / DATA_FILE}: field builds_on: unknown exercise {slug!r}"
                    )
    return checks


def run_checks(
    checks: list[ExerciseCheck],
    *,
    sandbox: Sandbox,
    jobs: int = 1,
    seed: int | None = None,
    on_solution: Callable[[Results], None] | None = None,
) -> list[ExerciseCheck]:
    """Grade the solutions of every exercise that loaded; problems found so far are kept."""
    done: list[ExerciseCheck] = []
    for check in checks:
        if check.exercise is None:
            done.append(check)
            continue
        graded = check_exercise(check.exercise, sandbox=sandbox, jobs=jobs, seed=seed, on_solution=on_solution)
        done.append(ExerciseCheck(check.name, check.exercise, check.problems, graded.solutions))
    return done


def solution_count(checks: Sequence[ExerciseCheck]) -> int:
    return sum(
        1 + len(c.exercise.also_correct) + len(c.exercise.variants) + len(answer_codes(c.exercise))
        for c in checks
        if c.exercise
    )
