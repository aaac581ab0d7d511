"""The dashboard's live feed: what the WebSocket sends as learners work, and who may open it."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from factories import bearer, create_learner
from fastapi.testclient import TestClient
from sqlmodel import Session
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect
from test_pages import sign_in

from grader import Exercise
from tracedojo.activity import ActivityFeed, QuizEvent, SubmissionEvent
from tracedojo.db import make_engine, migrate
from tracedojo.models import QuizAnswer, Submission, SubmissionStatus, User, utcnow


def receive_within(ws: WebSocketTestSession, seconds: float = 30.0) -> dict[str, Any]:
    box: dict[str, Any] = {}
    reader = threading.Thread(target=lambda: box.setdefault("message", ws.receive_json()), daemon=True)
    reader.start()
    reader.join(seconds)
    assert "message" in box, f"nothing arrived within {seconds} s"
    message: dict[str, Any] = box["message"]
    return message


def test_feed_reports_new_graded_and_requeued_submissions_and_quiz_answers(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'feed.db'}")
    migrate(engine)
    with Session(engine, expire_on_commit=False) as session:
        ada = User(username="ada", password_hash="x")
        session.add(ada)
        session.commit()
        assert ada.id is not None
        earlier = Submission(
            user_id=ada.id,
            exercise_slug="echo-once",
            exercise_version="v",
            code="x",
            max_score=7,
            status=SubmissionStatus.PASSED,
            score=7,
            finished_at=utcnow(),
        )
        session.add(earlier)
        session.commit()
    feed = ActivityFeed(engine)
    assert feed.poll() is None  # what was there before the dashboard opened is not news

    with Session(engine, expire_on_commit=False) as session:
        fresh = Submission(user_id=ada.id, exercise_slug="echo-once", exercise_version="v", code="x", max_score=7)
        session.add(fresh)
        session.add(
            QuizAnswer(
                user_id=ada.id,
                exercise_slug="echo-once",
                exercise_version="v",
                question_id="q1",
                choice="B",
                correct=False,
            )
        )
        session.commit()
    news = feed.poll()
    assert news is not None and news.users == [ada.id] and news.exercises == ["echo-once"]
    submission, answer = news.events
    assert isinstance(submission, SubmissionEvent) and submission.status == "queued" and submission.username == "ada"
    assert isinstance(answer, QuizEvent) and (answer.question, answer.choice, answer.correct) == ("q1", "B", False)
    assert feed.poll() is None  # still queued: nothing new

    with Session(engine, expire_on_commit=False) as session:
        row = session.get(Submission, fresh.id)
        assert row is not None
        row.status, row.score, row.finished_at = SubmissionStatus.FAILED, 5.0, utcnow()
        session.add(row)
        old = session.get(Submission, earlier.id)
        assert old is not None
        old.status, old.score, old.finished_at = SubmissionStatus.QUEUED, None, None  # a regrade
        session.add(old)
        session.commit()
    news = feed.poll()
    assert news is not None
    assert {(e.id, e.status) for e in news.events if isinstance(e, SubmissionEvent)} == {
        (fresh.id, "failed"),
        (earlier.id, "queued"),
    }
    assert len(news.events) == 2
    assert feed.poll() is None

    with Session(engine, expire_on_commit=False) as session:  # regraded between two polls: never seen queued
        again = session.get(Submission, fresh.id)
        assert again is not None
        again.status, again.score, again.finished_at = SubmissionStatus.PASSED, 7.0, utcnow()
        session.add(again)
        session.commit()
    news = feed.poll()
    assert news is not None
    assert [(e.id, getattr(e, "status", None)) for e in news.events] == [(fresh.id, "passed")]
    assert feed.poll() is None
    engine.dispose()


def test_live_refuses_strangers_learners_and_other_sites(
    client: TestClient, anonymous: TestClient, learner: User, instructor: User
) -> None:
    with client.websocket_connect("/api/instructor/live") as ws, pytest.raises(WebSocketDisconnect) as stranger:
        ws.receive_json()
    assert stranger.value.code == 4401
    token = bearer(client, learner)["Authorization"].removeprefix("Bearer ")
    with (
        client.websocket_connect(f"/api/instructor/live?token={token}") as ws,
        pytest.raises(WebSocketDisconnect) as refused,
    ):
        ws.receive_json()
    assert refused.value.code == 4403
    sign_in(anonymous, instructor)
    with (
        anonymous.websocket_connect("/api/instructor/live", headers={"Origin": "http://evil.example"}) as ws,
        pytest.raises(WebSocketDisconnect) as elsewhere,
    ):
        ws.receive_json()
    assert elsewhere.value.code == 4401
    with anonymous.websocket_connect("/api/instructor/live", headers={"Origin": "http://testserver"}) as ws:
        assert receive_within(ws)["type"] == "hello"


def test_dashboard_hears_a_submission_being_graded_and_a_quiz_answer(
    client: TestClient, session: Session, instructor: User, echo_once: Exercise
) -> None:
    token = bearer(client, instructor)["Authorization"].removeprefix("Bearer ")
    learner = create_learner(session)
    headers = bearer(client, learner)
    with client.websocket_connect(f"/api/instructor/live?token={token}") as ws:
        assert receive_within(ws)["type"] == "hello"
        submission_id = client.post(
            "/api/exercises/echo-once/submissions",
            headers=headers,
            json={"code": echo_once.source(echo_once.reference)},
        ).json()["id"]
        question = echo_once.quiz[0]
        client.post(f"/api/exercises/echo-once/quiz/{question.id}", json={"choice": question.answer}, headers=headers)
        seen: list[dict[str, Any]] = []
        while not any(e["kind"] == "submission" and e["id"] == submission_id and e["status"] == "passed" for e in seen):
            message = receive_within(ws)
            assert message["type"] == "activity"
            seen += [e for e in message["events"] if e["user_id"] == learner.id]
    assert any(e["kind"] == "quiz" and e["question"] == question.id and e["correct"] for e in seen)
    final = next(e for e in seen if e["kind"] == "submission" and e["status"] == "passed")
    assert final["username"] == learner.username and final["score"] == final["max_score"] == 7.0
