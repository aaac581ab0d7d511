"""The platform on PostgreSQL (TRACEDOJO_DATABASE_URL), against the machine's local server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from factories import EXERCISES, PASSWORD, make_settings, random_username, wait_for_result
from fastapi.testclient import TestClient
from scaleout import postgres_database
from sqlalchemy import inspect

from tracedojo.app import create_app
from tracedojo.db import make_engine, migrate

pytestmark = [pytest.mark.services, pytest.mark.slow]


@pytest.fixture
def database_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url


def test_migrations_and_a_graded_submission_on_postgres(database_url: str, tmp_path: Path) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    assert {"user", "quiz_answer", "submission"} <= set(inspect(engine).get_table_names())
    engine.dispose()

    with TestClient(create_app(make_settings(tmp_path, database_url=database_url))) as client:
        name = random_username()
        assert client.post("/api/auth/register", json={"username": name, "password": PASSWORD}).status_code == 201
        token = client.post("/api/auth/token", data={"username": name, "password": PASSWORD}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        code = (EXERCISES / "echo-once" / "solution.py").read_text()
        submitted = client.post("/api/exercises/echo-once/submissions", json={"code": code}, headers=headers)
        assert submitted.status_code == 202
        result = wait_for_result(client, submitted.json()["id"], headers)
        assert result["status"] == "passed" and len(result["steps"]) == 7
        listing = client.get("/api/exercises", headers=headers).json()
        assert next(e for e in listing if e["slug"] == "echo-once")["progress"]["passed"] is True
