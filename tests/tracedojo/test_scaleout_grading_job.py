"""Claims, leases and the conditional final write: a submission never gets two final results."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from grader import Results, Status
from tracedojo.celery_app import CeleryQueue, make_celery
from tracedojo.db import make_engine, migrate
from tracedojo.grading_job import (
    Claim,
    LeaseHeld,
    LeaseKeeper,
    claim,
    renew,
    requeue_stale,
    store_error,
    store_results,
)
from tracedojo.models import Submission, SubmissionStatus, User, utcnow
from tracedojo.settings import Settings


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'td.db'}")
    migrate(engine)
    yield engine
    engine.dispose()


def _stored(engine: Engine, status: SubmissionStatus = SubmissionStatus.QUEUED, **fields: object) -> int:
    with Session(engine, expire_on_commit=False) as session:
        user = User(username=f"u{time.monotonic_ns()}", password_hash="x")
        session.add(user)
        session.commit()
        assert user.id is not None
        row = Submission(
            user_id=user.id,
            exercise_slug="echo-once",
            exercise_version="v",
            code="x = 1",
            max_score=7.0,
            status=status,
            **fields,
        )
        session.add(row)
        session.commit()
        assert row.id is not None
        return row.id


def _row(engine: Engine, submission_id: int) -> Submission:
    with Session(engine, expire_on_commit=False) as session:
        row = session.get(Submission, submission_id)
        assert row is not None
        return row


def _results(score: float) -> Results:
    status = Status.PASSED if score == 7.0 else Status.FAILED
    return Results(exercise="echo-once", submission="s.py", status=status, score=score, max_score=7.0)


def test_a_claim_holds_the_submission_until_its_lease_runs_out(engine: Engine) -> None:
    submission_id = _stored(engine)
    first = claim(engine, submission_id, worker_id="a", lease_seconds=60)
    assert isinstance(first, Claim) and first.attempt == 1 and first.code == "x = 1"
    held = claim(engine, submission_id, worker_id="b", lease_seconds=60)
    assert isinstance(held, LeaseHeld) and held.until > utcnow() + timedelta(seconds=50)
    later = claim(engine, submission_id, worker_id="b", lease_seconds=60, now=utcnow() + timedelta(seconds=61))
    assert isinstance(later, Claim) and later.attempt == 2 and later.token != first.token
    row = _row(engine, submission_id)
    assert row.status == "running" and row.worker_id == "b" and row.attempts == 2


def test_only_the_current_claim_stores_a_final_result(engine: Engine) -> None:
    submission_id = _stored(engine)
    presumed_dead = claim(engine, submission_id, worker_id="a", lease_seconds=1)
    assert isinstance(presumed_dead, Claim)
    successor = claim(engine, submission_id, worker_id="b", lease_seconds=60, now=utcnow() + timedelta(seconds=2))
    assert isinstance(successor, Claim)
    assert store_results(engine, successor, _results(7.0), version="v2") is not None
    # The first attempt finishes after all, with another verdict: it changes nothing.
    assert store_results(engine, presumed_dead, _results(3.0), version="v2") is None
    assert store_error(engine, presumed_dead, "late") is None
    row = _row(engine, submission_id)
    assert (row.status, row.score, row.worker_id, row.lease_until) == ("passed", 7.0, "b", None)
    assert claim(engine, submission_id, worker_id="c", lease_seconds=60) is None  # final: nothing to do
    assert store_results(engine, successor, _results(3.0), version="v2") is None  # and no second final write


def test_a_regrade_while_running_wins_over_the_running_attempt(engine: Engine) -> None:
    submission_id = _stored(engine)
    running = claim(engine, submission_id, worker_id="a", lease_seconds=60)
    assert isinstance(running, Claim)
    with Session(engine) as session:  # what a regrade does: back to queued
        row = session.get(Submission, submission_id)
        assert row is not None
        row.status = SubmissionStatus.QUEUED
        session.add(row)
        session.commit()
    regrade = claim(engine, submission_id, worker_id="b", lease_seconds=60)
    assert isinstance(regrade, Claim)
    assert store_results(engine, running, _results(3.0), version="old") is None
    assert store_results(engine, regrade, _results(7.0), version="new") is not None
    assert _row(engine, submission_id).exercise_version == "new"


def test_missing_submissions_are_not_claimed(engine: Engine) -> None:
    assert claim(engine, 4242, worker_id="a", lease_seconds=60) is None


def test_the_sweeper_hands_back_dead_workers_rows_and_forgotten_queued_rows_once(engine: Engine) -> None:
    now = utcnow()
    dead = _stored(engine, SubmissionStatus.RUNNING, lease_until=now - timedelta(seconds=1), lease_token="t")
    alive = _stored(engine, SubmissionStatus.RUNNING, lease_until=now + timedelta(seconds=30), lease_token="u")
    forgotten = _stored(engine, created_at=now - timedelta(seconds=200))
    fresh = _stored(engine)
    done = _stored(engine, SubmissionStatus.PASSED, created_at=now - timedelta(seconds=200))
    assert requeue_stale(engine, requeue_after=120, now=now) == [dead, forgotten]
    assert _row(engine, dead).status == "queued" and _row(engine, dead).lease_token is None
    assert requeue_stale(engine, requeue_after=120, now=now) == []  # each is handed back by one sweep only
    later = now + timedelta(seconds=121)
    assert requeue_stale(engine, requeue_after=120, now=later) == [dead, alive, forgotten, fresh]
    assert _row(engine, done).status == "passed"


def test_the_dead_workers_claim_cannot_store_after_the_sweeper_took_its_row(engine: Engine) -> None:
    submission_id = _stored(engine)
    dead = claim(engine, submission_id, worker_id="a", lease_seconds=1)
    assert isinstance(dead, Claim)
    assert requeue_stale(engine, requeue_after=60, now=utcnow() + timedelta(seconds=2)) == [submission_id]
    assert store_results(engine, dead, _results(7.0), version="v") is None
    assert _row(engine, submission_id).status == "queued"


def test_enqueueing_with_the_broker_down_keeps_the_row_and_returns_quickly(tmp_path: Path) -> None:
    settings = Settings(
        queue="celery",
        broker_url="redis://127.0.0.1:9/0",
        secret_key="x" * 32,
        database_url=f"sqlite:///{tmp_path / 'td.db'}",
    )
    queue = CeleryQueue(make_celery(settings), queue_name=settings.celery_queue)
    started = time.monotonic()
    queue.enqueue(1)  # logs a warning; a worker's sweeper enqueues the stored row later
    assert time.monotonic() - started < 15
    queue.stop()


def test_the_lease_keeper_keeps_a_long_grading_s_short_lease_and_stops_with_it(engine: Engine) -> None:
    submission_id = _stored(engine)
    held = claim(engine, submission_id, worker_id="a", lease_seconds=0.6)
    assert isinstance(held, Claim)
    with LeaseKeeper(engine, lease_seconds=0.6).holding(held):
        time.sleep(1.5)  # over twice the lease: without renewal another worker could take it now
        assert isinstance(claim(engine, submission_id, worker_id="b", lease_seconds=60), LeaseHeld)
        assert requeue_stale(engine, requeue_after=60) == []
    time.sleep(0.8)  # the keeper let go when the grading ended: the lease runs out
    successor = claim(engine, submission_id, worker_id="b", lease_seconds=60)
    assert isinstance(successor, Claim)
    assert not renew(engine, held, lease_seconds=60)  # the old claim cannot take it back
    assert store_results(engine, held, _results(7.0), version="v") is None
    assert store_results(engine, successor, _results(7.0), version="v") is not None


def test_one_lease_keeper_renews_every_held_lease_and_lets_go_of_each(engine: Engine) -> None:
    first, second = _stored(engine), _stored(engine)
    keeper = LeaseKeeper(engine, lease_seconds=0.6)
    held = [claim(engine, n, worker_id="a", lease_seconds=0.6) for n in (first, second)]
    assert isinstance(held[0], Claim) and isinstance(held[1], Claim)
    with keeper.holding(held[0]):
        with keeper.holding(held[1]):
            time.sleep(1.5)  # over twice the lease: both are still held
            assert isinstance(claim(engine, first, worker_id="b", lease_seconds=60), LeaseHeld)
            assert isinstance(claim(engine, second, worker_id="b", lease_seconds=60), LeaseHeld)
        time.sleep(0.9)  # the second grading ended: its lease runs out, the first one's does not
        assert isinstance(claim(engine, second, worker_id="b", lease_seconds=60), Claim)
        assert isinstance(claim(engine, first, worker_id="b", lease_seconds=60), LeaseHeld)
    assert [t.name for t in threading.enumerate()].count("lease-keeper") >= 1
