"""Factories and helpers for the platform tests (import them from here, not from conftest)."""

from __future__ import annotations

import secrets
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session

from grader import Limits
from grader.loader import DATA_FILE
from tracedojo.accounts import create_user
from tracedojo.models import Role, User, UserCreate
from tracedojo.settings import PROJECT_ROOT, Settings

EXERCISES = PROJECT_ROOT / "exercises"
PASSWORD = "correct horse battery"


def make_settings(tmp: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": f"sqlite:///{tmp / 'tracedojo.db'}",
        "secret_key": secrets.token_urlsafe(32),
        "exercises_dir": EXERCISES,
        "limits": Limits(step_timeout=1.0),
        "login_attempts_per_minute": 1000,
        "registrations_per_minute": 1000,
        "submissions_per_minute": 1000,
        "grading_workers": 2,
    }
    values.update(overrides)
    return Settings.model_validate(values)


def copy_exercises(into: Path) -> Path:
    """Every exercise folder under ``into``, file times kept (a catalog notices an edit by its file's time)."""
    for folder in sorted(EXERCISES.iterdir()):
        if (folder / DATA_FILE).is_file():
            shutil.copytree(
                folder,
                into / folder.name,
                copy_function=shutil.copy2,
                dirs_exist_ok=True,
                ignore=shutil.ignore_patterns("__pycache__"),
            )
    return into


@contextmanager
def editable_exercises(tmp: Path) -> Iterator[Path]:
    """Exercises a test may edit, as an instructor fixing a lesson does, served by
    ``make_settings(tmp, exercises_dir=<this>)``; the platform's database starts empty.

    Here a private copy under ``tmp`` (each platform has its own SQLite database anyway);
    ``scaleout_stack`` replaces it with the copy its second worker grades from."""
    yield copy_exercises(tmp / "exercises")


def random_username() -> str:
    return "u" + secrets.token_hex(5)


def create_learner(session: Session, *, role: Role = Role.LEARNER, username: str | None = None) -> User:
    return create_user(
        session, user_create=UserCreate(username=username or random_username(), password=PASSWORD), role=role
    )


def bearer(client: TestClient, user: User) -> dict[str, str]:
    response = client.post("/api/auth/token", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def wait_for_result(client: TestClient, submission_id: int, headers: dict[str, str], timeout: float = 60.0) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/api/submissions/{submission_id}", headers=headers).json()
        if body["status"] not in ("queued", "running"):
            return body  # type: ignore[no-any-return]
        time.sleep(0.05)
    raise AssertionError(f"submission {submission_id} was not graded within {timeout} s")
