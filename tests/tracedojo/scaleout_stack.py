"""A pytest plugin that runs the platform tests on PostgreSQL + Celery instead of SQLite + inline.

    PYTHONPATH=tests/tracedojo .venv/bin/pytest -p scaleout_stack tests/tracedojo/test_api_learner.py ...

Before any test module is imported it creates a throwaway PostgreSQL database,
starts a real ``tracedojo worker`` on the local Redis (its own queue and event
prefix), and makes ``factories.make_settings`` point every platform the tests
build at that database and that queue. Everything is dropped and killed at the
end. ``test_scaleout_suite.py`` runs the platform tests this way.

Tests that edit an exercise (``factories.editable_exercises``) get a second
deployment, started on first use: its own database, emptied for each user, and
a worker grading from a session-wide copy of the exercises, which the test edits
and which is put back afterwards. A worker must read the very files the web
process serves (a regrade is graded by the worker), and one database per test
would mean one worker per test.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import factories
import pytest
from scaleout import REDIS, Processes, postgres_database, stack_env
from sqlalchemy import create_engine, text

from tracedojo.settings import Settings


@dataclass(frozen=True)
class _Deployment:
    """One database, one worker on its own broker queue and event prefix, the exercises it grades from."""

    exercises_dir: Path
    overrides: dict[str, object]


class _Stack:
    def __init__(self) -> None:
        self.resources = ExitStack()
        self.processes: Processes | None = None
        self.deployments: dict[str, _Deployment] = {}
        self.editing = False  # a test holds the editable exercises

    def start(self) -> None:
        logs = Path(self.resources.enter_context(tempfile.TemporaryDirectory(prefix="tracedojo-stack-")))
        self.processes = Processes(logs)
        self.deploy("shared", factories.EXERCISES)

    def deploy(self, name: str, exercises_dir: Path) -> _Deployment:
        assert self.processes is not None, "the scaleout_stack plugin was not configured"
        database_url = self.resources.enter_context(postgres_database())
        env = stack_env(database_url=database_url, broker_url=REDIS, events_url=REDIS, secret=secrets.token_urlsafe(32))
        env["TRACEDOJO_EXERCISES_DIR"] = str(exercises_dir)
        # The worker grades with the limits the tests' platforms declare (factories.make_settings).
        env["TRACEDOJO_LIMITS__STEP_TIMEOUT"] = "1.0"
        self.processes.worker(f"{name}-worker", env)
        deployment = _Deployment(
            exercises_dir=exercises_dir.resolve(),
            overrides={
                "database_url": database_url,
                "exercises_dir": exercises_dir,
                "queue": "celery",
                "broker_url": REDIS,
                "events_url": REDIS,
                "celery_queue": env["TRACEDOJO_CELERY_QUEUE"],
                "events_prefix": env["TRACEDOJO_EVENTS_PREFIX"],
            },
        )
        self.deployments[name] = deployment
        return deployment

    def editable(self) -> _Deployment:
        if "editable" not in self.deployments:
            copy = Path(self.resources.enter_context(tempfile.TemporaryDirectory(prefix="tracedojo-stack-exercises-")))
            self.deploy("editable", factories.copy_exercises(copy / "exercises"))
        return self.deployments["editable"]

    def stop(self) -> None:
        try:
            if self.processes is not None:
                self.processes.kill_all()  # the workers first: then their databases can be dropped
        finally:
            self.resources.close()


_stack = _Stack()
_make_settings = factories.make_settings


def _on_the_stack(tmp: Path, **given: object) -> Settings:
    assert _stack.deployments, "the scaleout_stack plugin was not configured"
    wanted = Path(str(given.get("exercises_dir", factories.EXERCISES))).resolve()
    deployment = next((d for d in _stack.deployments.values() if d.exercises_dir == wanted), None)
    if deployment is None:
        raise AssertionError(
            f"no worker of the stack grades from {wanted}: a test that edits exercises takes them "
            "from factories.editable_exercises"
        )
    return _make_settings(tmp, **{**given, **deployment.overrides})


@contextmanager
def _editable_on_the_stack(tmp: Path) -> Iterator[Path]:
    if _stack.editing:
        raise AssertionError("the stack's editable exercises are already held by another fixture; one at a time")
    deployment = _stack.editable()
    _empty(str(deployment.overrides["database_url"]))
    _stack.editing = True
    try:
        yield deployment.exercises_dir
    finally:
        _stack.editing = False
        _restore(deployment.exercises_dir)


# Patched on import, before the conftest and test modules import them from factories.
factories.make_settings = _on_the_stack
factories.editable_exercises = _editable_on_the_stack


def _empty(database_url: str) -> None:
    """Every row gone (the schema stays): the test sees only what it stores, as on a fresh SQLite file.
    Ids keep counting up, so no live-event history in Redis can belong to a new submission."""
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            # A platform of an earlier test left idle in a transaction would block TRUNCATE: fail, don't hang.
            connection.execute(text("SET LOCAL lock_timeout = '10s'"))
            tables = (
                connection.execute(
                    text(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
                    )
                )
                .scalars()
                .all()
            )
            if tables:
                quoted = ", ".join(f'"{table}"' for table in tables)
                connection.execute(text(f"TRUNCATE {quoted} CASCADE"))
    finally:
        engine.dispose()


def _restore(copy: Path) -> None:
    """The copy as the repository's exercises again: what a test added goes, every file is put back with
    its original time, so the worker's catalog (which compares a file's time and size) reloads whatever
    a test changed and keeps what it did not."""
    for path in sorted(copy.rglob("*"), reverse=True):  # a folder's files before the folder
        if (factories.EXERCISES / path.relative_to(copy)).exists():
            continue
        if path.is_dir():
            path.rmdir()
        else:
            path.unlink()
    factories.copy_exercises(copy)


def pytest_configure(config: pytest.Config) -> None:
    _stack.start()


def pytest_report_header(config: pytest.Config) -> str:
    return "platform stack: PostgreSQL + Celery (Redis broker, tracedojo worker subprocess)"


def pytest_unconfigure(config: pytest.Config) -> None:
    _stack.stop()
