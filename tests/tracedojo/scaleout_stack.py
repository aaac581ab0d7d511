"""A pytest plugin that runs the platform tests on PostgreSQL + Celery instead of SQLite + inline.

    PYTHONPATH=tests/tracedojo .venv/bin/pytest -p scaleout_stack tests/tracedojo/test_api_learner.py ...

Before any test module is imported it creates a throwaway PostgreSQL database,
starts a real ``tracedojo worker`` on the local Redis (its own queue and event
prefix), and makes ``factories.make_settings`` point every platform the tests
build at that database and that queue. Everything is dropped and killed at the
end. ``test_scaleout_suite.py`` runs the API tests this way.
"""

from __future__ import annotations

import secrets
import tempfile
from contextlib import ExitStack
from pathlib import Path

import factories
import pytest
from scaleout import REDIS, Processes, postgres_database, stack_env

from tracedojo.settings import Settings

_stack = ExitStack()
_overrides: dict[str, object] = {}
_make_settings = factories.make_settings


def _on_the_stack(tmp: Path, **given: object) -> Settings:
    assert _overrides, "the scaleout_stack plugin was not configured"
    return _make_settings(tmp, **{**given, **_overrides})


# Patched on import, before the conftest files import it from factories.
factories.make_settings = _on_the_stack


def pytest_configure(config: pytest.Config) -> None:
    database_url = _stack.enter_context(postgres_database())
    logs = Path(_stack.enter_context(tempfile.TemporaryDirectory(prefix="tracedojo-stack-")))
    env = stack_env(database_url=database_url, broker_url=REDIS, events_url=REDIS, secret=secrets.token_urlsafe(32))
    # The worker grades with the limits the tests' platforms declare (factories.make_settings).
    env["TRACEDOJO_LIMITS__STEP_TIMEOUT"] = "1.0"
    processes = Processes(logs)
    _stack.callback(processes.kill_all)
    processes.worker("stack-worker", env)
    _overrides.update(
        database_url=database_url,
        queue="celery",
        broker_url=REDIS,
        events_url=REDIS,
        celery_queue=env["TRACEDOJO_CELERY_QUEUE"],
        events_prefix=env["TRACEDOJO_EVENTS_PREFIX"],
    )


def pytest_report_header(config: pytest.Config) -> str:
    return "platform stack: PostgreSQL + Celery (Redis broker, tracedojo worker subprocess)"


def pytest_unconfigure(config: pytest.Config) -> None:
    _stack.close()
