"""Platform commands on the main CLI: ``serve``, ``users create`` and ``regrade``."""

from __future__ import annotations

import logging
import secrets
import sys
import time
from collections import Counter
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import Progress
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from tracedojo.accounts import UsernameTaken, create_user
from tracedojo.cli_similarity import similarity
from tracedojo.db import make_engine, migrate
from tracedojo.grading_queue import GradingQueue
from tracedojo.lessons import Catalog
from tracedojo.live import LiveHub
from tracedojo.models import Role, Submission, SubmissionStatus, UserCreate
from tracedojo.regrade import RegradeReport, Verdict, regrade_report, start_regrade
from tracedojo.settings import Settings

users = typer.Typer(help="Manage accounts.", no_args_is_help=True, rich_markup_mode=None)


def _settings(*, signs: bool = False) -> Settings:
    """The settings; ``signs`` only for the server, which signs sessions and tokens with the secret key.

    The other commands sign nothing, so they get a throwaway key: no development-key warning, and no
    refusal of a production placeholder that they would never use.
    """
    try:
        return Settings() if signs else Settings(secret_key=secrets.token_urlsafe(48))
    except ValidationError as exc:
        messages = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
        Console(stderr=True, highlight=False).print(f"Error: {messages}", markup=False, soft_wrap=True)
        raise typer.Exit(2) from exc


def _say_database(settings: Settings) -> None:
    """One line on stderr naming the database a command uses, so a wrong one is seen at once."""
    Console(stderr=True, highlight=False).print(
        f"tracedojo: database {settings.database_description}", markup=False, soft_wrap=True
    )


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
) -> None:
    """Serve the web platform (creates or migrates the database and loads the exercises)."""
    import uvicorn

    from tracedojo.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s: %(message)s")
    settings = _settings(signs=True)
    console = Console(stderr=True, highlight=False)
    _say_database(settings)
    app = create_app(settings)
    catalog = app.state.platform.catalog
    for problem in catalog.problems:
        console.print(f"Warning: exercise left out: {problem}", markup=False, soft_wrap=True)
    exercises = len(catalog)
    console.print(
        f"tracedojo: {exercises} exercise(s) from {settings.exercises_dir}",
        markup=False,
        soft_wrap=True,
    )
    console.print(f"tracedojo: open http://{host}:{port}/ in your browser", markup=False)
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False)


def worker(
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="Submissions graded at once by this process (threads, one sandbox).")
    ] = 1,
) -> None:
    """Run a Celery grading worker (TRACEDOJO_QUEUE=celery); start any number, on any number of machines."""
    from kombu.utils.url import maybe_sanitize_url

    from tracedojo.worker import GradingWorker, SandboxUnavailableHere

    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s: %(message)s")
    settings = _settings()
    console = Console(stderr=True, highlight=False)
    grading = GradingWorker(settings)
    events = (
        maybe_sanitize_url(settings.event_bus_url) if settings.event_bus_url else "none (live pages poll the database)"
    )
    console.print(
        f"tracedojo worker {grading.worker_id}: broker {maybe_sanitize_url(settings.broker_url)}, "
        f"queue {settings.celery_queue}, database {settings.database_description}, live events {events}, "
        f"{len(grading.catalog)} exercise(s)",
        markup=False,
        soft_wrap=True,
    )
    try:
        grading.run(concurrency=concurrency)
    except SandboxUnavailableHere as exc:
        console.print(f"Error: cannot grade on this machine: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(1) from exc


@users.command("create")
def users_create(
    username: Annotated[str, typer.Argument(help="3-32 letters, digits, '.', '_' or '-'.")],
    role: Annotated[Role, typer.Option(help="learner or instructor.")] = Role.LEARNER,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
) -> None:
    """Create an account (the password is prompted for, or read from stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    err = Console(stderr=True, highlight=False)
    try:
        body = UserCreate.model_validate({"username": username, "password": password})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors()
        )
        err.print(f"Error: {problems}", markup=False, soft_wrap=True)
        raise typer.Exit(2) from exc
    settings = _settings()
    _say_database(settings)
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
        with Session(engine) as session:
            user = create_user(session, user_create=body, role=role)
    except UsernameTaken as exc:
        err.print(f"Error: {exc}", markup=False)
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    Console(highlight=False).print(f"created {user.role} {user.username!r} (id {user.id})", markup=False)


def regrade(
    exercise: Annotated[str, typer.Argument(help="The slug of the exercise whose submissions to regrade.")],
) -> None:
    """Regrade every stored submission of an exercise (after the exercise changed)."""
    settings = _settings()
    err = Console(stderr=True, highlight=False)
    catalog = Catalog.load(settings.exercises_dir)
    target = catalog.get(exercise)
    if target is None:
        known = ", ".join(e.slug for e in catalog) or "none"
        err.print(f"Error: unknown exercise {exercise!r} (known exercises: {known})", markup=False, soft_wrap=True)
        raise typer.Exit(2)
    _say_database(settings)
    engine = make_engine(settings.database_url)
    migrate(engine)
    queue = GradingQueue(
        engine=engine, catalog=catalog, limits=settings.limits, workers=settings.grading_workers, hub=LiveHub()
    )
    queue.start(resume=False)
    try:
        if queue.unavailable is not None:
            err.print(f"Error: cannot grade on this machine: {queue.unavailable}", markup=False, soft_wrap=True)
            raise typer.Exit(1)
        with Session(engine, expire_on_commit=False) as session:
            done, ids = start_regrade(session, exercise=target)
        for submission_id in ids:
            queue.enqueue(submission_id)
        counts = _wait_for(engine, ids, console=err)
        with Session(engine) as session:
            report = regrade_report(session, regrade=done)
    finally:
        queue.stop()
        engine.dispose()
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "nothing to regrade"
    out = Console(highlight=False)
    out.print(f"regraded {len(ids)} submission(s) of {target.slug} (version {target.version}): {summary}", markup=False)
    _print_changes(out, report)


def _print_changes(console: Console, report: RegradeReport) -> None:
    changed = [c for c in report.changes if c.changed]
    console.print(f"{len(changed)} verdict(s) changed; the earlier results are kept", markup=False)
    for change in changed:
        console.print(
            f"  #{change.submission_id} {change.username}: {_verdict(change.before)} -> {_verdict(change.after)}",
            markup=False,
            soft_wrap=True,
        )


def _verdict(verdict: Verdict) -> str:
    score = "" if verdict.score is None else f" {verdict.score:g}/{verdict.max_score:g}"
    where = f" at step {verdict.failed_at}" if verdict.failed_at is not None else ""
    return f"{verdict.status}{score}{where}"


def _wait_for(engine: Engine, ids: list[int], *, console: Console) -> Counter[str]:
    pending = set(ids)
    counts: Counter[str] = Counter()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("regrading", total=len(ids))
        while pending:
            with Session(engine) as session:
                rows = session.exec(select(Submission).where(col(Submission.id).in_(pending))).all()
            for row in rows:
                if SubmissionStatus(row.status).final and row.id is not None:
                    pending.discard(row.id)
                    counts[str(row.status)] += 1
                    progress.advance(task)
            if pending:
                time.sleep(0.1)
    return counts


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("regrade")(regrade)
    app.command("worker")(worker)
    app.command("similarity")(similarity)
    app.add_typer(users, name="users")
    from tracedojo.cli_courses import courses

    app.add_typer(courses, name="courses")
    from tracedojo.cli_lti import lti

    app.add_typer(lti, name="lti")
