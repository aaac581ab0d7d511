"""The live WebSocket when its channel stays silent: the database has the last word.

The channel is the platform's hub: in-process with inline grading, relayed over Redis from the
workers with Celery (``scaleout_stack`` runs this file that way)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from factories import bearer
from fastapi.testclient import TestClient
from sqlmodel import Session

from grader import Exercise
from tracedojo.event_relay import RedisEventPublisher, RedisRelayHub
from tracedojo.grading_job import EventSink
from tracedojo.live import LiveHub
from tracedojo.models import Submission, SubmissionStatus, User, utcnow
from tracedojo.platform_state import Platform


def _grader_channel(platform: Platform) -> EventSink:
    """Where a grader publishes the events this platform's live pages relay."""
    if isinstance(platform.hub, LiveHub):
        return platform.hub
    bus = platform.settings.event_bus_url
    assert bus is not None
    return RedisEventPublisher(bus, prefix=platform.settings.events_prefix)


def test_a_channel_that_never_publishes_the_result_still_ends_with_it(
    client: TestClient,
    platform: Platform,
    session: Session,
    learner: User,
    echo_once: Exercise,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As after a lost lease or a second enqueue: one step arrives live, then the result is stored by a
    # grader whose events never reach this channel.
    steps = [{"n": n, "title": f"step {n}", "status": "passed"} for n in (1, 2, 3)]
    assert learner.id is not None
    row = Submission(
        user_id=learner.id,
        exercise_slug=echo_once.slug,
        exercise_version=echo_once.version,
        code="x = 1\n",
        status=SubmissionStatus.RUNNING,
        max_score=3.0,
        # Held by a grader elsewhere, so no worker's sweeper hands it to the queue meanwhile.
        worker_id="elsewhere",
        lease_until=utcnow() + timedelta(minutes=5),
    )
    session.add(row)
    session.commit()
    assert row.id is not None
    if isinstance(platform.hub, RedisRelayHub):
        # The relay looks at the database first; the route's own look (the one tested inline) comes later.
        monkeypatch.setattr(platform.hub, "quiet_check", 0.2)
        monkeypatch.setattr(platform.settings, "live_quiet_check", 2.0)
    else:
        monkeypatch.setattr(platform.settings, "live_quiet_check", 0.2)
    channel = _grader_channel(platform)
    channel.open(row.id)
    channel.publish(row.id, {"type": "step", "step": steps[0]})  # one step does arrive live
    token = bearer(client, learner)["Authorization"].removeprefix("Bearer ")
    started = time.monotonic()
    try:
        with client.websocket_connect(f"/api/submissions/{row.id}/live?token={token}") as ws:
            events = [ws.receive_json()]
            row.status, row.score, row.steps = SubmissionStatus.PASSED, 3.0, steps
            row.worker_id = row.lease_until = None
            session.add(row)
            session.commit()
            while events[-1]["type"] != "result":
                events.append(ws.receive_json())
    finally:
        channel.close(row.id)
    assert time.monotonic() - started < 5
    # Step 1 once (live), steps 2 and 3 from the database, then the stored result.
    assert [e["step"]["n"] for e in events if e["type"] == "step"] == [1, 2, 3]
    assert events[-1]["result"]["status"] == "passed" and events[-1]["result"]["id"] == row.id
