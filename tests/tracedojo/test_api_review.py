"""Review mode's API: the due queue of a learner's started lessons, ratings scheduled by FSRS; bad
bodies 422 with the field named, another learner's card 404, never a 500."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from factories import bearer, create_learner
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from tracedojo.models import User
from tracedojo.review import ReviewCard, ReviewLog


def _start_echo_once(client: TestClient, headers: dict[str, str]) -> None:
    response = client.post("/api/exercises/echo-once/quiz/accept-step", json={"choice": "C"}, headers=headers)
    assert response.status_code == 200 and response.json()["correct"]


def test_review_routes_need_a_sign_in(client: TestClient) -> None:
    assert client.get("/api/review/due").status_code == 401
    assert client.post("/api/review/1/rating", json={"rating": "good"}).status_code == 401


def test_the_queue_holds_started_lessons_and_ratings_move_cards(client: TestClient, session: Session) -> None:
    learner = create_learner(session)
    headers = bearer(client, learner)
    assert client.get("/api/review/due", headers=headers).json() == {"due_today": 0, "cards": []}
    _start_echo_once(client, headers)
    queue = client.get("/api/review/due", headers=headers).json()
    kinds = [c["item"]["kind"] for c in queue["cards"]]
    assert queue["due_today"] == len(kinds) == 4 and kinds.count("quiz") == 1
    quiz = next(c for c in queue["cards"] if c["item"]["kind"] == "quiz")
    assert quiz["item"]["answer"] == "C: Step 2" and quiz["item"]["slug"] == "echo-once"
    good = client.post(f"/api/review/{quiz['id']}/rating", json={"rating": "good"}, headers=headers)
    assert good.status_code == 200, good.text
    assert good.json()["interval_seconds"] == 600 and good.json()["state"] == "learning"
    moment = queue["cards"][0]
    easy = client.post(f"/api/review/{moment['id']}/rating", json={"rating": "easy"}, headers=headers).json()
    assert easy["interval_seconds"] >= 86400 and easy["state"] == "review" and easy["due_today"] == 3
    again = client.post(f"/api/review/{moment['id']}/rating", json={"rating": "again"}, headers=headers).json()
    assert again["interval_seconds"] <= 600 and again["state"] == "relearning"
    due = datetime.fromisoformat(again["due"])
    assert due - datetime.fromisoformat(easy["due"]) < timedelta(0)  # forgotten: back long before the easy date
    logs = session.exec(select(ReviewLog).where(ReviewLog.user_id == learner.id)).all()
    assert [log.rating for log in logs] == [3, 4, 1]


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({}, "rating"),
        ({"rating": "meh"}, "rating"),
        ({"rating": 3}, "rating"),
        ({"rating": "good", "when": "now"}, "when"),
        ([], "body"),
    ],
)
def test_bad_rating_bodies_are_refused_by_name(client: TestClient, session: Session, body: object, named: str) -> None:
    learner = create_learner(session)
    headers = bearer(client, learner)
    _start_echo_once(client, headers)
    card = client.get("/api/review/due", headers=headers).json()["cards"][0]
    response = client.post(f"/api/review/{card['id']}/rating", json=body, headers=headers)
    assert response.status_code == 422, response.text
    assert named in response.json()["message"]


def test_bad_card_ids_and_unparsable_bodies(client: TestClient, learner: User) -> None:
    headers = bearer(client, learner)
    for card_id in ("0", "-1", "x", str(2**31)):
        assert client.post(f"/api/review/{card_id}/rating", json={"rating": "good"}, headers=headers).status_code == 422
    broken = client.post("/api/review/1/rating", content=b"{", headers={**headers, "Content-Type": "application/json"})
    assert broken.status_code == 422
    assert client.post("/api/review/2147483647/rating", json={"rating": "good"}, headers=headers).status_code == 404


def test_another_learners_card_is_404(client: TestClient, session: Session) -> None:
    owner = create_learner(session)
    owner_headers = bearer(client, owner)
    _start_echo_once(client, owner_headers)
    card = client.get("/api/review/due", headers=owner_headers).json()["cards"][0]
    other = bearer(client, create_learner(session))
    response = client.post(f"/api/review/{card['id']}/rating", json={"rating": "easy"}, headers=other)
    assert response.status_code == 404 and str(card["id"]) in response.json()["detail"]
    assert client.get("/api/review/due", headers=other).json()["due_today"] == 0
    stored = session.get(ReviewCard, card["id"])
    assert stored is not None and stored.reps == 0  # untouched


def test_the_queue_of_one_lesson(client: TestClient, session: Session) -> None:
    headers = bearer(client, create_learner(session))
    _start_echo_once(client, headers)
    assert client.post("/api/exercises/echo-loop/predict/runs", headers=headers).status_code == 201
    everything = client.get("/api/review/due", headers=headers).json()
    assert {c["item"]["slug"] for c in everything["cards"]} == {"echo-once", "echo-loop"}
    echo_loop = client.get("/api/review/due?lesson=echo-loop", headers=headers).json()
    assert {c["item"]["slug"] for c in echo_loop["cards"]} == {"echo-loop"}
    assert echo_loop["due_today"] == 4 and everything["due_today"] == 8
    unknown = client.get("/api/review/due?lesson=no-such", headers=headers)
    assert unknown.status_code == 404 and "no-such" in unknown.json()["detail"]
    malformed = client.get("/api/review/due?lesson=../etc", headers=headers)
    assert malformed.status_code == 422 and "lesson" in malformed.json()["message"]
