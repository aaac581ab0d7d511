"""Grading many submission files: expand the paths, grade them on a thread pool, keep input order."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from grader.exercise import Exercise
from grader.grading import grade_file
from grader.results import Results, Status
from grader.sandbox import Sandbox

ProgressCallback = Callable[[Results], None]


class SubmissionPathError(Exception):
    """A path given on the command line that cannot be graded at all (a usage error)."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(path, problem)
        self.path = path
        self.problem = problem

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


def _python_files(folder: Path) -> list[Path]:
    found: list[Path] = []
    try:
        for current, dirs, files in os.walk(folder, onerror=_raise):
            # Hidden folders (.git, .venv) and caches hold no submissions.
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
            found.extend(Path(current) / name for name in files if name.endswith(".py") and not name.startswith("."))
    except OSError as exc:
        raise SubmissionPathError(Path(exc.filename or folder), f"cannot read the folder ({exc.strerror})") from exc
    return sorted(found)


def _raise(error: OSError) -> None:
    raise error


def expand_paths(paths: Sequence[Path | str]) -> list[Path]:
    """Files as given, folders searched recursively for ``.py``; sorted per folder, first occurrence wins."""
    if not paths:
        raise SubmissionPathError(Path("."), "no submission paths given")
    expanded: list[Path] = []
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = _python_files(path)
            if not files:
                raise SubmissionPathError(path, "folder holds no .py files")
        elif path.is_file():
            if not os.access(path, os.R_OK):
                raise SubmissionPathError(path, "file is not readable")
            files = [path]
        elif path.exists() or path.is_symlink():
            raise SubmissionPathError(path, "neither a file nor a folder" if path.exists() else "broken link")
        else:
            raise SubmissionPathError(path, "no such file or folder")
        for file in files:
            key = file.resolve()
            if key not in seen:
                seen.add(key)
                expanded.append(file)
    return expanded


def _grade_one(exercise: Exercise, path: Path, sandbox: Sandbox, seed: int | None) -> Results:
    try:
        results = grade_file(exercise, path, sandbox=sandbox, seed=seed)
    except Exception as exc:
        return Results(
            exercise=exercise.slug,
            submission=str(path),
            status=Status.ERROR,
            score=0.0,
            max_score=exercise.max_score,
            message=f"the grader failed on this submission ({type(exc).__name__}: {exc}); please report it",
        )
    # In a batch the path as given tells submissions with the same file name apart.
    return results.model_copy(update={"submission": str(path)})


def grade_paths(
    exercise: Exercise,
    files: Sequence[Path],
    *,
    sandbox: Sandbox,
    jobs: int = 1,
    seed: int | None = None,
    on_result: ProgressCallback | None = None,
) -> Iterator[Results]:
    """Grade ``files`` with ``jobs`` threads over one shared sandbox; yields results in input order.

    ``on_result`` is called (from a worker thread) as each submission finishes, in completion order.
    """
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, not {jobs}")
    if not files:
        return
    with ThreadPoolExecutor(max_workers=min(jobs, len(files)), thread_name_prefix="tracedojo-grade") as pool:
        futures: list[Future[Results]] = []
        for path in files:
            future = pool.submit(_grade_one, exercise, path, sandbox, seed)
            if on_result is not None:
                future.add_done_callback(lambda done: on_result(done.result()))
            futures.append(future)
        try:
            for future in futures:
                yield future.result()
        finally:
            for future in futures:
                future.cancel()
