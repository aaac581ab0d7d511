"""Predict and Review in the instructor's numbers: lesson statistics, gradebook JSON and CSV."""

from __future__ import annotations

import csv
import io

from factories import bearer, create_learner
from fastapi.testclient import TestClient
from sqlmodel import Session
from test_pages import sign_in

from tracedojo.models import User

LESSON = "json-messages"


def _stats(client: TestClient, headers: dict[str, str]) -> dict:  # type: ignore[type-arg]
    response = client.get(f"/api/instructor/exercises/{LESSON}/stats", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _all_wrong_run(client: TestClient, headers: dict[str, str]) -> None:
    base = f"/api/exercises/{LESSON}/predict"
    run = client.post(f"{base}/runs", headers=headers).json()
    while run["next_step"] is not None:  # every row answered wrong: a score of 0
        run = client.post(
            f"{base}/runs/{run['id']}/answers", json={"step": run["next_step"], "answer": "?"}, headers=headers
        ).json()["run"]


def test_predict_scores_and_review_activity_reach_the_instructor(
    client: TestClient, session: Session, instructor: User
) -> None:
    staff = bearer(client, instructor)
    before = _stats(client, staff)
    learner = create_learner(session)
    headers = bearer(client, learner)
    _all_wrong_run(client, headers)
    card = client.get("/api/review/due", headers=headers).json()["cards"][0]
    assert card["item"]["slug"] == LESSON  # predicting started the lesson
    for rating in ("again", "good"):
        rated = client.post(f"/api/review/{card['id']}/rating", json={"rating": rating}, headers=headers)
        assert rated.status_code == 200, rated.text

    after = _stats(client, staff)
    assert after["predict"]["runs"] == before["predict"]["runs"] + 1
    assert after["predict"]["finished"] == before["predict"]["finished"] + 1
    assert after["predict"]["learners"] == before["predict"]["learners"] + 1
    assert after["review"]["reviews"] == before["review"]["reviews"] + 2
    assert after["review"]["again"] == before["review"]["again"] + 1
    assert after["review"]["cards"] > before["review"]["cards"]

    book = client.get("/api/instructor/gradebook", headers=staff).json()
    row = next(r for r in book if r["username"] == learner.username)
    assert (row["exercises"][LESSON]["predict_best"], row["exercises"][LESSON]["reviews"]) == (0.0, 2)
    assert (row["exercises"]["echo-once"]["predict_best"], row["exercises"]["echo-once"]["reviews"]) == (None, 0)

    text = client.get("/api/instructor/gradebook.csv", headers=staff).text
    records = {r["username"]: r for r in csv.DictReader(io.StringIO(text, newline=""))}
    mine = records[learner.username]
    assert (mine[f"{LESSON} predict best"], mine[f"{LESSON} reviews"]) == ("0", "2")
    assert (mine["echo-once predict best"], mine["echo-once reviews"]) == ("", "0")

    browser = TestClient(client.app)
    sign_in(browser, instructor)
    page = browser.get(f"/instructor/exercises/{LESSON}")
    assert page.status_code == 200 and "Predict and Review" in page.text
    finished = after["predict"]["finished"]
    assert f"{finished} finished of {after['predict']['runs']} started" in page.text
    assert f"{after['review']['reviews']} ratings of {after['review']['cards']} cards" in page.text


def test_learners_see_no_mode_statistics(client: TestClient, learner: User) -> None:
    assert client.get(f"/api/instructor/exercises/{LESSON}/stats", headers=bearer(client, learner)).status_code == 403
