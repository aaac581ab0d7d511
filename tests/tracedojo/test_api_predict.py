"""Predict mode's API: a run over the predictable rows, judged by the stepper, scored, stored; bad
bodies 422 with the field named, another learner's run 404."""

from __future__ import annotations

import pytest
from factories import bearer, create_learner
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from grader import Exercise, load_exercises
from tracedojo.models import User
from tracedojo.predict_mode import PredictRun, predict_progress
from tracedojo.stepping import StepPrediction
from tracedojo.trace_view import prediction_for

BASE = "/api/exercises/echo-once/predict"
RIGHT = {4: "'Hello'", 5: "'Message text was: Hello'", 6: "Message text was: Hello"}


def _start(client: TestClient, headers: dict[str, str]) -> dict:  # type: ignore[type-arg]
    response = client.post(f"{BASE}/runs", headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_predict_routes_need_a_sign_in(client: TestClient) -> None:
    assert client.get(BASE).status_code == 401
    assert client.post(f"{BASE}/runs").status_code == 401
    assert client.post(f"{BASE}/runs/1/answers", json={"step": 4, "answer": "x"}).status_code == 401


def test_a_run_walks_the_predictable_rows_and_scores(client: TestClient, learner: User, session: Session) -> None:
    headers = bearer(client, learner)
    rows = client.get(BASE, headers=headers).json()["rows"]
    assert [r["n"] for r in rows] == sorted(RIGHT)
    assert all("answer" not in r["prediction"] for r in rows)
    run = _start(client, headers)
    assert (run["predictable"], run["next_step"], run["finished"], run["score"]) == (3, 4, False, None)
    url = f"{BASE}/runs/{run['id']}/answers"
    wrong = client.post(url, json={"step": 4, "answer": "None"}, headers=headers)
    assert wrong.status_code == 201
    feedback = wrong.json()
    assert (feedback["correct"], feedback["expected"], feedback["run"]["next_step"]) == (False, "'Hello'", 5)
    for step in (5, 6):
        assert client.post(url, json={"step": step, "answer": RIGHT[step]}, headers=headers).json()["correct"]
    done = client.get(f"{BASE}/runs/{run['id']}", headers=headers).json()
    assert (done["finished"], done["right"], done["score"], done["next_step"]) == (True, 2, 0.6667, None)
    assert [(a["step"], a["correct"]) for a in done["answers"]] == [(4, False), (5, True), (6, True)]
    # A second, perfect run: the best score is the progress.
    again = _start(client, headers)
    for step, answer in RIGHT.items():
        client.post(f"{BASE}/runs/{again['id']}/answers", json={"step": step, "answer": answer}, headers=headers)
    summary = client.get(BASE, headers=headers).json()
    assert summary["best_score"] == 1.0 and [r["score"] for r in summary["runs"]] == [1.0, 0.6667]
    # Judged by the stepper: every answer is one of its predictions too.
    stored = session.exec(select(StepPrediction).where(StepPrediction.user_id == learner.id)).all()
    assert len(stored) == 6
    assert learner.id is not None
    progress = predict_progress(session, user_id=learner.id, slugs=["echo-once", "echo-loop"])
    assert (progress["echo-once"].state, progress["echo-once"].summary) == (
        "done",
        "Best run 100% of the rows right (2 runs)",
    )
    assert (progress["echo-loop"].state, progress["echo-loop"].summary) == ("not_started", "Not tried yet")


def test_bad_answers_are_refused_by_name(client: TestClient, learner: User) -> None:
    headers = bearer(client, learner)
    run = _start(client, headers)
    url = f"{BASE}/runs/{run['id']}/answers"
    missing = client.post(url, json={"step": 4}, headers=headers)
    assert missing.status_code == 422 and "answer" in missing.json()["message"]
    extra = client.post(url, json={"step": 4, "answer": "x", "correct": True}, headers=headers)
    assert extra.status_code == 422 and "correct" in extra.json()["message"]
    nul = client.post(url, json={"step": 4, "answer": "Hel\x00lo"}, headers=headers)
    assert nul.status_code == 422 and "answer" in nul.json()["message"] and "NUL" in nul.json()["message"]
    not_json = client.post(url, content=b"{", headers={**headers, "Content-Type": "application/json"})
    assert not_json.status_code == 422
    no_prediction = client.post(url, json={"step": 2, "answer": "x"}, headers=headers)
    assert no_prediction.status_code == 422
    assert "row 2 asks for no prediction; this lesson's are 4, 5, 6" in no_prediction.json()["detail"]
    assert client.post(url, json={"step": 4, "answer": "x"}, headers=headers).status_code == 201
    twice = client.post(url, json={"step": 4, "answer": "'Hello'"}, headers=headers)
    assert twice.status_code == 422 and "already answered" in twice.json()["detail"]
    for step in (5, 6):
        client.post(url, json={"step": step, "answer": "x"}, headers=headers)
    finished = client.post(url, json={"step": 6, "answer": "x"}, headers=headers)
    assert finished.status_code == 409 and "start a new run" in finished.json()["detail"]
    huge_id = client.post(f"{BASE}/runs/99999999999/answers", json={"step": 4, "answer": "x"}, headers=headers)
    assert huge_id.status_code == 422
    assert client.post("/api/exercises/no-such/predict/runs", headers=headers).status_code == 404


def test_another_learners_run_is_404(client: TestClient, learner: User, session: Session) -> None:
    run = _start(client, bearer(client, learner))
    other = bearer(client, create_learner(session))
    assert client.get(f"{BASE}/runs/{run['id']}", headers=other).status_code == 404
    answer = client.post(f"{BASE}/runs/{run['id']}/answers", json={"step": 4, "answer": "x"}, headers=other)
    assert answer.status_code == 404
    # Nor is a run found under another lesson's address.
    wrong_lesson = f"/api/exercises/echo-loop/predict/runs/{run['id']}"
    assert client.get(wrong_lesson, headers=bearer(client, learner)).status_code == 404
    stored = session.get(PredictRun, run["id"])
    assert stored is not None and stored.answered == 0


@pytest.mark.parametrize("exercise", load_exercises(), ids=lambda e: e.slug)
def test_every_lesson_has_a_run_to_play_and_the_trace_answers_score_full(
    client: TestClient, session: Session, exercise: Exercise
) -> None:
    headers = bearer(client, create_learner(session))
    base = f"/api/exercises/{exercise.slug}/predict"
    run = client.post(f"{base}/runs", headers=headers).json()
    assert run["predictable"] >= 3
    while run["next_step"] is not None:
        prediction = prediction_for(exercise, run["next_step"])
        assert prediction is not None
        step = run["next_step"]
        answered = client.post(
            f"{base}/runs/{run['id']}/answers", json={"step": step, "answer": prediction.answer}, headers=headers
        )
        assert answered.status_code == 201 and answered.json()["correct"], (step, answered.text)
        run = answered.json()["run"]
    assert (run["finished"], run["score"]) == (True, 1.0)
