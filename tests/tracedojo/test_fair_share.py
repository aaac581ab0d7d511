"""Fair share of the graders: one learner's many submissions never hold another learner's back, and a waiting
learner is told how many submissions are ahead of theirs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

import pytest
from factories import EXERCISES, PASSWORD, create_learner, make_settings
from fastapi.testclient import TestClient
from scaleout import postgres_database
from sqlalchemy import Engine
from sqlmodel import Session, select

from tracedojo.app import create_app
from tracedojo.db import make_engine, migrate
from tracedojo.grading_job import Claim, LearnerBusy, claim
from tracedojo.grading_queue import FairQueue, Job
from tracedojo.models import Submission, SubmissionStatus, User, utcnow

# Correct, but each reply comes only after a pause: each grading takes a second or more.
SLOW = (
    (EXERCISES / "echo-once" / "solution.py")
    .read_text()
    .replace("    await websocket.send_text(", "    await asyncio.sleep(0.5)\n    await websocket.send_text(")
)
SLOW = "import asyncio\n" + SLOW


def test_the_pool_takes_a_learner_with_nothing_running_first() -> None:
    jobs = FairQueue()
    for n in range(1, 7):
        jobs.put(Job(n, learner=1))
    jobs.put(Job(7, learner=2))
    first = jobs.take()
    assert first == Job(1, 1)
    assert jobs.take() == Job(7, 2)  # learner 1 has one running: learner 2 goes first
    assert jobs.take() == Job(2, 1)  # nobody else waits: learner 1 may use a free worker
    jobs.done(first)
    assert len(jobs) == 4


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """The claim's rule on both databases (the Celery workers' is PostgreSQL's)."""
    with ExitStack() as stack:
        url = (
            f"sqlite:///{tmp_path / 'fair.db'}"
            if request.param == "sqlite"
            else stack.enter_context(postgres_database())
        )
        engine = make_engine(url)
        migrate(engine)
        yield engine
        engine.dispose()


def _learner_with(engine: Engine, *statuses: SubmissionStatus) -> list[int]:
    with Session(engine, expire_on_commit=False) as session:
        user = User(username=f"u{time.monotonic_ns()}", password_hash="x")
        session.add(user)
        session.commit()
        assert user.id is not None
        rows = [
            Submission(
                user_id=user.id,
                exercise_slug="echo-once",
                exercise_version="v",
                code="x = 1",
                max_score=7.0,
                status=status,
                lease_until=utcnow() + timedelta(seconds=60) if status == SubmissionStatus.RUNNING else None,
            )
            for status in statuses
        ]
        session.add_all(rows)
        session.commit()
        return [row.id for row in rows if row.id is not None]


def test_a_claim_holds_back_a_learner_with_one_running_while_another_waits(engine: Engine) -> None:
    """The rule the Celery workers follow (and the inline pool too): it is in the claim itself."""
    _, mine = _learner_with(engine, SubmissionStatus.RUNNING, SubmissionStatus.QUEUED)
    (theirs,) = _learner_with(engine, SubmissionStatus.QUEUED)
    assert claim(engine, mine, worker_id="w", lease_seconds=60) == LearnerBusy(mine)
    assert isinstance(claim(engine, theirs, worker_id="w", lease_seconds=60), Claim)
    # Now every waiting learner has one running: nobody is held back, the free worker may take it.
    assert isinstance(claim(engine, mine, worker_id="w", lease_seconds=60), Claim)


def test_a_learner_alone_gets_every_free_worker(engine: Engine) -> None:
    _, second = _learner_with(engine, SubmissionStatus.RUNNING, SubmissionStatus.QUEUED)
    assert isinstance(claim(engine, second, worker_id="w", lease_seconds=60), Claim)


def test_six_slow_submissions_of_one_learner_do_not_delay_another(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, grading_workers=2)
    with TestClient(create_app(settings)) as client:
        platform = client.app.state.platform  # type: ignore[attr-defined]
        with Session(platform.engine, expire_on_commit=False) as session:
            busy, other = create_learner(session), create_learner(session)

        def headers(user: User) -> dict[str, str]:
            token = client.post("/api/auth/token", data={"username": user.username, "password": PASSWORD})
            return {"Authorization": f"Bearer {token.json()['access_token']}"}

        busy_headers, other_headers = headers(busy), headers(other)
        for n in range(6):
            response = client.post(
                "/api/exercises/echo-once/submissions", json={"code": f"{SLOW}\n# {n}\n"}, headers=busy_headers
            )
            assert response.status_code == 202, response.text
        mine = client.post(
            "/api/exercises/echo-once/submissions", json={"code": SLOW.replace("0.5", "0")}, headers=other_headers
        ).json()["id"]

        waiting = client.get(f"/api/submissions/{mine}", headers=other_headers).json()
        assert waiting["status"] == "queued"
        assert 4 <= waiting["queue_position"] <= 6  # the busy learner's that have not started
        page = client.get(f"/submissions/{mine}", headers=other_headers)
        assert "ahead of you" in page.text or "you are next" in page.text

        deadline = time.monotonic() + 90
        while client.get(f"/api/submissions/{mine}", headers=other_headers).json()["status"] in ("queued", "running"):
            assert time.monotonic() < deadline, "the other learner's submission was never graded"
            time.sleep(0.05)
        with Session(platform.engine) as session:
            busy_rows = session.exec(select(Submission).where(Submission.user_id == busy.id)).all()
        unfinished = [row for row in busy_rows if not SubmissionStatus(row.status).final]
        # Before fair share it waited for all six (two workers, first come first served); now for one.
        assert len(unfinished) >= 3, [row.status for row in busy_rows]
        graded = client.get(f"/api/submissions/{mine}", headers=other_headers).json()
        assert graded["status"] == "passed" and graded["queue_position"] is None
