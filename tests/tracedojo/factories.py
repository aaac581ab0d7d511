"""Factories and helpers for the platform tests (import them from here, not from conftest)."""

from __future__ import annotations

import time

import secrets
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session

from grader import Limits
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
