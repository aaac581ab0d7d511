"""The live WebSocket when the in-process channel stays silent: the database has the last word."""

from __future__ import annotations

import time

import pytest
from factories import bearer
from fastapi.testclient import TestClient
from sqlmodel import Session

from grader import Exercise
from tracedojo.models import Submission, SubmissionStatus, User
from tracedojo.platform_state import Platform


def test_a_channel_that_never_publishes_the_result_still_ends_with_it(
    client: TestClient,
    platform: Platform,
    session: Session,
    learner: User,
    echo_once: Exercise,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As after a lost lease or a second enqueue: a channel is open here, but the result was stored elsewhere.
    steps = [{"n": n, "title": f"step {n}", "status": "passed"} for n in (1, 2, 3)]
    assert learner.id is not None
    row = Submission(
        user_id=learner.id, exercise_slug=echo_once.slug, exercise_version=echo_once.version, code="x = 1\n",
        status=SubmissionStatus.PASSED, score=3.0, max_score=3.0, steps=steps,
    )
    session.add(row)
    session.commit()
    assert row.id is not None
    monkeypatch.setattr(platform.settings, "live_quiet_check", 0.2)
    platform.hub.open(row.id)
    platform.hub.publish(row.id, {"type": "step", "step": steps[0]})  # one step did arrive live
    token = bearer(client, learner)["Authorization"].removeprefix("Bearer ")
    started = time.monotonic()
    try:
        with client.websocket_connect(f"/api/submissions/{row.id}/live?token={token}") as ws:
            events = []
            while not events or events[-1]["type"] != "result":
                events.append(ws.receive_json())
    finally:
        platform.hub.close(row.id)
    assert time.monotonic() - started < 5
    # Step 1 once (live), steps 2 and 3 from the database, then the stored result.
    assert [e["step"]["n"] for e in events if e["type"] == "step"] == [1, 2, 3]
    assert events[-1]["result"]["status"] == "passed" and events[-1]["result"]["id"] == row.id
