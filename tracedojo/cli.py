"""The ``tracedojo`` command line. Each command is a few lines over functions in ``grader``.

``grade``, ``check`` and ``list`` need no database and no server, so running one of
them never imports the platform; its commands (serve, users, regrade, worker) are
added by ``tracedojo.cli_platform.register`` for every other invocation.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from grader.batch import SubmissionPathError, expand_paths, grade_paths
from grader.exercise import Exercise
from grader.formats import Format, ResultsWriter
from grader.formats.exercises import check_report, exercise_table
from grader.loader import UnknownExercise, find_exercise
from grader.results import Results
from grader.sandbox import Sandbox, SandboxUnavailable
from grader.selfcheck import load_for_check, run_checks, solution_count

EXIT_OK, EXIT_NOT_PASSED, EXIT_USAGE = 0, 1, 2
DEFAULT_JOBS = os.cpu_count() or 1
GRADING_COMMANDS = ("grade", "check", "list")

JobsOption = Annotated[
    int,
    typer.Option("--jobs", "-j", min=1, help="Submissions graded at once (default: number of cores)."),
]
SeedOption = Annotated[int | None, typer.Option("--seed", help="Fix the random replay payloads.")]
NoSandboxOption = Annotated[
    bool,
    typer.Option("--no-sandbox", help="Run submissions without isolation. Only for code you trust."),
]


def _stderr() -> Console:
    return Console(stderr=True, highlight=False)


def _usage_error(message: str) -> NoReturn:
    _stderr().print(f"Error: {message}", markup=False, soft_wrap=True)
    raise typer.Exit(EXIT_USAGE)


def _exercise(name: str) -> Exercise:
    try:
        return find_exercise(name)
    except UnknownExercise as exc:
        _usage_error(str(exc))


@contextmanager
def _sandbox(no_sandbox: bool) -> Iterator[Sandbox]:
    try:
        sandbox = Sandbox(isolated=not no_sandbox).start()
    except SandboxUnavailable as exc:
        _usage_error(str(exc))
    try:
        yield sandbox
    finally:
        sandbox.close()


@contextmanager
def _progress(total: int, label: str) -> Iterator[Callable[[Results], None] | None]:
    """A progress bar on stderr for batches, only where a person watches a terminal."""
    if total < 2 or not sys.stderr.isatty():
        yield None
        return
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=_stderr(), transient=True) as progress:
        task = progress.add_task(label, total=total)
        yield lambda _results: progress.advance(task)


def grade(
    exercise: Annotated[str, typer.Argument(metavar="EXERCISE", help="Exercise slug or folder.")],
    paths: Annotated[
        list[Path], typer.Argument(metavar="PATH", help="Submission files, or folders searched for .py files.")
    ],
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.TEXT,
    seed: SeedOption = None,
    jobs: JobsOption = DEFAULT_JOBS,
    no_sandbox: NoSandboxOption = False,
) -> None:
    """Grade one submission or many. Exit 0: all passed; 1: some did not pass; 2: usage error."""
    target = _exercise(exercise)
    try:
        files = expand_paths(paths)
    except SubmissionPathError as exc:
        _usage_error(str(exc))
    writer = ResultsWriter(format, sys.stdout, many=len(files) > 1, exercise=target)
    with _sandbox(no_sandbox) as sandbox, _progress(len(files), "Grading") as on_result:
        for results in grade_paths(target, files, sandbox=sandbox, jobs=jobs, seed=seed, on_result=on_result):
            writer.write(results)
    writer.finish()
    raise typer.Exit(EXIT_OK if all(r.passed for r in writer.written) else EXIT_NOT_PASSED)


def check(
    exercises: Annotated[
        list[str] | None, typer.Argument(metavar="EXERCISE", help="Slugs or folders (default: every exercise).")
    ] = None,
    seed: SeedOption = None,
    jobs: JobsOption = DEFAULT_JOBS,
    no_sandbox: NoSandboxOption = False,
) -> None:
    """Validate exercises: schema, correct solutions pass, each wrong variant fails at its step."""
    try:
        loaded = load_for_check(exercises or [])
    except UnknownExercise as exc:
        _usage_error(str(exc))
    if not loaded:
        _usage_error("no exercises found (set TRACEDOJO_EXERCISES_DIR or name exercise folders)")
    with _sandbox(no_sandbox) as sandbox, _progress(solution_count(loaded), "Checking") as on_result:
        checked = run_checks(loaded, sandbox=sandbox, jobs=jobs, seed=seed, on_solution=on_result)
    Console(highlight=False).print(check_report(checked))
    raise typer.Exit(EXIT_OK if all(c.ok for c in checked) else EXIT_NOT_PASSED)


def list_exercises() -> None:
    """The exercises in curriculum order: slug, title, steps, quiz size, what each builds on."""
    # A folder without a data file yet is work in progress: ``check`` reports it, ``list`` skips it.
    loaded = [c for c in load_for_check([]) if c.has_data_file]
    exercises = sorted((c.exercise for c in loaded if c.exercise), key=lambda e: (e.order, e.slug))
    Console(highlight=False).print(exercise_table(exercises))
    broken = [problem for c in loaded for problem in c.problems]
    for problem in broken:
        _stderr().print(f"Error: {problem}", markup=False, soft_wrap=True)
    raise typer.Exit(EXIT_NOT_PASSED if broken else EXIT_OK)


def create_app(*, with_platform: bool = True) -> typer.Typer:
    """The whole command line; ``with_platform=False`` leaves out (and never imports) the platform."""
    app = typer.Typer(
        name="tracedojo",
        help="Auto-graded WebSocket lessons: grade submissions, check exercises, run the platform.",
        no_args_is_help=True,
        add_completion=False,
        rich_markup_mode=None,
    )
    app.command()(grade)
    app.command()(check)
    app.command("list")(list_exercises)
    if with_platform:
        from tracedojo.cli_platform import register

        register(app)
    return app


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    grading_only = bool(args) and args[0] in GRADING_COMMANDS
    create_app(with_platform=not grading_only)(args=args, prog_name="tracedojo")
