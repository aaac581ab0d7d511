"""The platform's API, page, instructor and CLI tests, run again on PostgreSQL + Celery (``scaleout_stack.py``).

Left out: the browser tests (run on their own), the embedded queue's own tests, and the
regrade tests that edit a private copy of an exercise per test (a worker process reads the
deployment's exercises, as every worker on every machine must)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.services, pytest.mark.slow]

HERE = Path(__file__).resolve().parent
SUITE = [
    "test_api_auth.py",
    "test_api_learner.py",
    "test_api_instructor.py",
    "test_pages.py",
    "test_instructor_api.py",
    "test_instructor_gradebook.py",
    "test_instructor_live.py",
    "test_instructor_charts.py",
    "test_cli_platform.py",
]


def test_the_api_suite_passes_on_postgres_and_celery() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")]))}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "scaleout_stack", "-p", "no:cacheprovider", "-m", "not browser",
         *(str(HERE / name) for name in SUITE)],
        check=False, env=env, capture_output=True, text=True, timeout=600, cwd=HERE.parent.parent,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    assert "platform stack: PostgreSQL + Celery" in run.stdout and " failed" not in run.stdout
