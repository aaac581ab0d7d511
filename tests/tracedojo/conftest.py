from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from factories import EXERCISES, PASSWORD, bearer, create_learner, make_settings, random_username, wait_for_result  # noqa: F401 - re-exported
from fastapi.testclient import TestClient
from sqlmodel import Session

from grader import Exercise
from tracedojo.app import create_app
from tracedojo.models import Role, User
from tracedojo.platform_state import Platform


@pytest.fixture(scope="session")
def platform_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("platform")


@pytest.fixture(scope="session")
def client(platform_dir: Path) -> Iterator[TestClient]:
    """One running platform (real database, real sandbox) shared by the API and page tests."""
    with TestClient(create_app(make_settings(platform_dir))) as test_client:
        yield test_client


@pytest.fixture
def platform(client: TestClient) -> Platform:
    state: Platform = client.app.state.platform  # type: ignore[attr-defined]
    return state


@pytest.fixture
def session(platform: Platform) -> Iterator[Session]:
    with Session(platform.engine, expire_on_commit=False) as db_session:
        yield db_session


@pytest.fixture
def learner(session: Session) -> User:
    return create_learner(session)


@pytest.fixture
def instructor(session: Session) -> User:
    return create_learner(session, role=Role.INSTRUCTOR)


@pytest.fixture
def echo_once(platform: Platform) -> Exercise:
    exercise = platform.catalog.get("echo-once")
    assert exercise is not None
    return exercise


@pytest.fixture
def anonymous(client: TestClient) -> TestClient:
    """A client of the same running platform with its own (empty) cookie jar."""
    return TestClient(client.app)
