from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

import grader.batch
from grader.batch import SubmissionPathError, expand_paths, grade_paths
from grader.exercise import Exercise
from grader.loader import find_exercise
from grader.results import Results, Status
from grader.sandbox import Sandbox


def touch(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_files_are_kept_in_the_order_given(tmp_path: Path) -> None:
    b, a = touch(tmp_path / "b.py"), touch(tmp_path / "a.py")
    assert expand_paths([b, a]) == [b, a]


def test_folders_are_searched_recursively_and_sorted(tmp_path: Path) -> None:
    touch(tmp_path / "z.py")
    touch(tmp_path / "alice" / "main.py")
    touch(tmp_path / "bob" / "deep" / "ws.py")
    touch(tmp_path / "notes.txt")
    touch(tmp_path / ".git" / "hook.py")
    touch(tmp_path / "bob" / "__pycache__" / "ws.cpython-311.py")
    assert expand_paths([tmp_path]) == [
        tmp_path / "alice" / "main.py",
        tmp_path / "bob" / "deep" / "ws.py",
        tmp_path / "z.py",
    ]


def test_a_file_named_explicitly_is_graded_whatever_its_extension(tmp_path: Path) -> None:
    odd = touch(tmp_path / "submission.txt")
    assert expand_paths([odd]) == [odd]


def test_duplicates_are_graded_once_first_occurrence_wins(tmp_path: Path) -> None:
    a = touch(tmp_path / "sub" / "a.py")
    b = touch(tmp_path / "sub" / "b.py")
    again = tmp_path / "sub" / ".." / "sub" / "a.py"
    assert expand_paths([b, tmp_path / "sub", again]) == [b, a]


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda root: root / "missing.py", "no such file or folder"),
        (lambda root: (root / "empty").mkdir() or root / "empty", "folder holds no .py files"),
    ],
)
def test_unusable_paths_are_usage_errors_that_name_the_path(tmp_path: Path, make: object, problem: str) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    with pytest.raises(SubmissionPathError) as caught:
        expand_paths([touch(tmp_path / "fine.py"), path])
    assert str(caught.value) == f"{path}: {problem}"


def test_a_broken_link_is_a_usage_error(tmp_path: Path) -> None:
    link = tmp_path / "gone.py"
    link.symlink_to(tmp_path / "nowhere.py")
    with pytest.raises(SubmissionPathError, match="broken link"):
        expand_paths([link])


def test_no_paths_is_a_usage_error() -> None:
    with pytest.raises(SubmissionPathError, match="no submission paths given"):
        expand_paths([])


@pytest.fixture
def exercise() -> Exercise:
    return find_exercise("echo-once")


def fake_results(exercise: Exercise, path: Path) -> Results:
    passed = path.read_text(encoding="utf-8") == "good"
    return Results(
        exercise=exercise.slug,
        submission=path.name,
        status=Status.PASSED if passed else Status.FAILED,
        score=exercise.max_score if passed else 0.0,
        max_score=exercise.max_score,
    )


def test_results_come_back_in_input_order_while_grading_runs_in_parallel(
    tmp_path: Path, exercise: Exercise, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = [touch(tmp_path / f"s{i}.py", "good" if i % 2 else "bad") for i in range(6)]
    running = 0
    most = 0
    lock = threading.Lock()

    def slow_grade(exercise: Exercise, path: Path, *, sandbox: Sandbox, seed: int | None = None) -> Results:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        # Earlier files take longer, so completion order is the reverse of input order.
        time.sleep(0.02 * (6 - int(path.stem[1:])))
        with lock:
            running -= 1
        return fake_results(exercise, path)

    monkeypatch.setattr(grader.batch, "grade_file", slow_grade)
    finished: list[str] = []
    results = list(
        grade_paths(exercise, files, sandbox=Sandbox(), jobs=3, on_result=lambda r: finished.append(r.submission))
    )
    assert [r.submission for r in results] == [str(f) for f in files]
    assert [r.status for r in results] == [Status.FAILED, Status.PASSED] * 3
    assert sorted(finished) == sorted(str(f) for f in files)
    assert finished != [str(f) for f in files]
    assert most == 3


def test_one_job_grades_one_at_a_time(tmp_path: Path, exercise: Exercise, monkeypatch: pytest.MonkeyPatch) -> None:
    files = [touch(tmp_path / f"s{i}.py", "good") for i in range(3)]
    order: list[Path] = []
    monkeypatch.setattr(
        grader.batch, "grade_file", lambda ex, path, *, sandbox, seed=None: order.append(path) or fake_results(ex, path)
    )
    assert all(r.passed for r in grade_paths(exercise, files, sandbox=Sandbox(), jobs=1))
    assert order == files


def test_the_seed_reaches_every_grading(tmp_path: Path, exercise: Exercise, monkeypatch: pytest.MonkeyPatch) -> None:
    seeds: list[int | None] = []
    monkeypatch.setattr(
        grader.batch, "grade_file", lambda ex, path, *, sandbox, seed=None: seeds.append(seed) or fake_results(ex, path)
    )
    list(grade_paths(exercise, [touch(tmp_path / "a.py"), touch(tmp_path / "b.py")], sandbox=Sandbox(), jobs=2, seed=7))
    assert seeds == [7, 7]


def test_a_grader_crash_becomes_an_error_result_not_a_lost_batch(
    tmp_path: Path, exercise: Exercise, monkeypatch: pytest.MonkeyPatch
) -> None:
    def flaky(exercise: Exercise, path: Path, *, sandbox: Sandbox, seed: int | None = None) -> Results:
        if path.stem == "b":
            raise RuntimeError("bridge fell over")
        return fake_results(exercise, path)

    monkeypatch.setattr(grader.batch, "grade_file", flaky)
    a, b, c = (touch(tmp_path / f"{name}.py", "good") for name in "abc")
    results = list(grade_paths(exercise, [a, b, c], sandbox=Sandbox(), jobs=2))
    assert [r.status for r in results] == [Status.PASSED, Status.ERROR, Status.PASSED]
    assert results[1].submission == str(b)
    assert results[1].max_score == exercise.max_score
    assert "RuntimeError: bridge fell over" in results[1].message


def test_jobs_must_be_positive(exercise: Exercise) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        list(grade_paths(exercise, [Path("a.py")], sandbox=Sandbox(), jobs=0))


def test_a_real_batch_over_one_sandbox(tmp_path: Path, exercise: Exercise) -> None:
    solution = exercise.folder / exercise.reference
    wrong = exercise.folder / "wrong" / "wrong_path.py"
    finished: list[Results] = []
    with Sandbox() as sandbox:
        results = list(
            grade_paths(exercise, [wrong, solution, wrong], sandbox=sandbox, jobs=2, on_result=finished.append)
        )
    assert [(r.submission, r.status) for r in results] == [
        (str(wrong), Status.FAILED),
        (str(solution), Status.PASSED),
        (str(wrong), Status.FAILED),
    ]
    assert results[0].failed_step() is not None and results[0].failed_step().n == 1  # type: ignore[union-attr]
    assert len(finished) == 3
