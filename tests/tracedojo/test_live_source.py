"""tracedojo.live.LiveSource: one submission's events from a hub, with the database as the last word."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from grader.results import StepResult, StepStatus
from tracedojo.db import make_engine, migrate
from tracedojo.live import LiveEvent, LiveHub, LiveSource, ResultEvent, StepEvent, live_event
from tracedojo.models import GradedResult, Submission, SubmissionPublic, SubmissionStatus, User


def _step(n: int, status: StepStatus = StepStatus.PASSED, actual: str = "") -> StepResult:
    return StepResult(n=n, title=f"step {n}", status=status, actual=actual)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'live.db'}")
    migrate(engine)
    yield engine
    engine.dispose()


def _submission(engine: Engine, status: SubmissionStatus = SubmissionStatus.RUNNING) -> int:
    with Session(engine) as session:
        user = User(username="ada", password_hash="x")
        session.add(user)
        session.commit()
        assert user.id is not None
        row = Submission(
            user_id=user.id, exercise_slug="s", exercise_version="v", code="x = 1\n", max_score=3.0, status=status
        )
        session.add(row)
        session.commit()
        assert row.id is not None
        return row.id


def _store(engine: Engine, submission_id: int, steps: list[StepResult]) -> None:
    failed = any(s.status != StepStatus.PASSED for s in steps)
    result = GradedResult(status=SubmissionStatus.FAILED if failed else SubmissionStatus.PASSED, score=1.0, steps=steps)
    with Session(engine) as session:
        row = session.get(Submission, submission_id)
        assert row is not None
        for column, value in result.columns().items():
            setattr(row, column, value)
        session.add(row)
        session.commit()


def _collect(source: LiveSource, submission_id: int, *, timeout: float = 10) -> list[LiveEvent]:
    async def run() -> list[LiveEvent]:
        return [event async for event in source.events(submission_id)]

    return asyncio.run(asyncio.wait_for(run(), timeout))


def test_a_final_result_is_replayed_from_the_database_at_once(engine: Engine) -> None:
    submission_id = _submission(engine)
    _store(engine, submission_id, [_step(1), _step(2, StepStatus.FAILED, actual="nope")])
    hub = LiveHub()
    hub.open(submission_id)  # even with a channel: the stored result is the last word
    events = _collect(LiveSource(hub, engine, quiet_check=30), submission_id, timeout=5)
    assert [type(e) for e in events] == [StepEvent, StepEvent, ResultEvent]
    last = events[-1]
    assert isinstance(last, ResultEvent) and last.result.status == SubmissionStatus.FAILED
    assert last.result.steps[1].actual == "nope"


def test_a_quiet_channel_ends_with_the_stored_result_sending_each_row_once_unless_it_changed(engine: Engine) -> None:
    submission_id = _submission(engine)
    hub = LiveHub()
    hub.open(submission_id)
    hub.publish(submission_id, StepEvent(step=_step(1)))
    hub.publish(submission_id, StepEvent(step=_step(2)))
    # Stored by a grader whose events never reached this channel: row 1 the same, row 2 graded differently.
    stored = [_step(1), _step(2, StepStatus.FAILED, actual="other"), _step(3, StepStatus.SKIPPED)]
    threading.Timer(0.3, _store, args=(engine, submission_id, stored)).start()
    events = _collect(LiveSource(hub, engine, quiet_check=0.1), submission_id)
    steps = [(e.step.n, e.step.status) for e in events if isinstance(e, StepEvent)]
    assert steps == [(1, "passed"), (2, "passed"), (2, "failed"), (3, "skipped")]
    assert isinstance(events[-1], ResultEvent) and events[-1].result.id == submission_id


def test_the_channels_result_ends_the_stream(engine: Engine) -> None:
    submission_id = _submission(engine)
    hub = LiveHub()
    hub.open(submission_id)
    source = LiveSource(hub, engine, quiet_check=30)

    async def run() -> list[LiveEvent]:
        events: list[LiveEvent] = []
        async for event in source.events(submission_id):
            events.append(event)
            if len(events) == 1:
                _store(engine, submission_id, [_step(1)])
                with Session(engine) as session:
                    row = session.get(Submission, submission_id)
                    assert row is not None
                    hub.publish(submission_id, ResultEvent(result=SubmissionPublic.of(row)))
        return events

    hub.publish(submission_id, {"type": "step", "step": {"n": 1, "title": "step 1", "status": "passed"}})
    events = asyncio.run(asyncio.wait_for(run(), 10))
    assert [type(e) for e in events] == [StepEvent, ResultEvent]  # a dict on the hub is read as its model


def test_without_a_channel_the_database_is_polled_until_final(engine: Engine) -> None:
    submission_id = _submission(engine, SubmissionStatus.QUEUED)
    threading.Timer(0.3, _store, args=(engine, submission_id, [_step(1)])).start()
    events = _collect(LiveSource(LiveHub(), engine, quiet_check=30, poll_seconds=0.05), submission_id)
    assert [type(e) for e in events] == [StepEvent, ResultEvent]


def test_a_missing_submission_ends_the_stream(engine: Engine) -> None:
    assert _collect(LiveSource(LiveHub(), engine, quiet_check=30), 12345, timeout=5) == []


def test_live_events_keep_the_wire_shape() -> None:
    step = _step(4, StepStatus.FAILED, actual="x")
    dumped = StepEvent(step=step).model_dump(mode="json")
    assert list(dumped) == ["type", "step"] and dumped["step"] == step.model_dump(mode="json")
    assert live_event(StepEvent(step=step).model_dump_json()) == StepEvent(step=step)
    with pytest.raises(ValueError):
        live_event({"type": "gossip"})
