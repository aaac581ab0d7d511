from __future__ import annotations

from factories import bearer, create_learner
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from tracedojo.models import User
from tracedojo.stepping import MAX_STEP_MS, StepPrediction, StepVisit


def test_stepper_routes_need_a_sign_in(client: TestClient) -> None:
    assert client.get("/api/exercises/echo-once/trace").status_code == 401
    assert client.post("/api/exercises/echo-once/predictions", json={"step": 4, "answer": "x"}).status_code == 401
    assert client.post("/api/exercises/echo-once/stepping", json={"visits": [{"step": 1, "ms": 5}]}).status_code == 401


def test_the_trace_has_lanes_lines_and_no_prediction_answers(client: TestClient, learner: User) -> None:
    response = client.get("/api/exercises/echo-once/trace", headers=bearer(client, learner))
    assert response.status_code == 200
    trace = response.json()
    assert trace["clients"] == ["client"]
    assert trace["untracked"] == ["response"]
    step_6 = trace["steps"][5]
    assert step_6["lines"] == [8]
    assert step_6["frames"][0]["payload"] == "Message text was: Hello"
    assert step_6["prediction"]["kind"] == "text"
    assert all("answer" not in (s["prediction"] or {}) for s in trace["steps"])
    assert client.get("/api/exercises/nope/trace", headers=bearer(client, learner)).status_code == 404


def test_a_prediction_is_judged_and_stored(client: TestClient, learner: User, session: Session) -> None:
    headers = bearer(client, learner)
    wrong = client.post("/api/exercises/echo-once/predictions", json={"step": 4, "answer": "None"}, headers=headers)
    assert wrong.status_code == 201
    assert wrong.json() == {"step": 4, "correct": False, "expected": "'Hello'", "attempt": 1}
    right = client.post(
        "/api/exercises/echo-once/predictions",
        json={"step": 6, "answer": "Message text was: Hello"},
        headers=headers,
    )
    assert right.status_code == 201 and right.json()["correct"] is True
    stored = session.exec(select(StepPrediction).where(StepPrediction.user_id == learner.id)).all()
    assert [(p.step, p.answer, p.correct) for p in stored] == [(4, "None", False), (6, "Message text was: Hello", True)]
    mine = client.get("/api/exercises/echo-once/predictions", headers=headers).json()
    assert [(p["step"], p["correct"]) for p in mine] == [(4, False), (6, True)]


def test_bad_predictions_are_refused_by_name(client: TestClient, learner: User) -> None:
    headers = bearer(client, learner)
    url = "/api/exercises/echo-once/predictions"
    missing = client.post(url, json={"step": 4}, headers=headers)
    assert missing.status_code == 422 and "answer" in missing.json()["message"]
    too_long = client.post(url, json={"step": 4, "answer": "x" * 201}, headers=headers)
    assert too_long.status_code == 422 and "answer" in too_long.json()["message"]
    extra = client.post(url, json={"step": 4, "answer": "x", "correct": True}, headers=headers)
    assert extra.status_code == 422 and "correct" in extra.json()["message"]
    not_json = client.post(url, content=b"{", headers={**headers, "Content-Type": "application/json"})
    assert not_json.status_code == 422
    no_row = client.post(url, json={"step": 9, "answer": "x"}, headers=headers)
    assert no_row.status_code == 404 and "has no step 9; its rows are 1..7" in no_row.json()["detail"]
    no_prediction = client.post(url, json={"step": 2, "answer": "x"}, headers=headers)
    assert no_prediction.status_code == 404 and "step 2" in no_prediction.json()["detail"]
    unknown = client.post("/api/exercises/no-such/predictions", json={"step": 1, "answer": "x"}, headers=headers)
    assert unknown.status_code == 404


def test_stepping_stays_one_record_per_row(client: TestClient, session: Session) -> None:
    learner = create_learner(session)
    headers = bearer(client, learner)
    url = "/api/exercises/echo-once/stepping"
    visits = [{"step": 1, "ms": 1200}, {"step": 2, "ms": 800}, {"step": 1, "ms": 400, "back": True}]
    for _ in range(3):
        response = client.post(url, json={"visits": visits}, headers=headers)
        assert response.status_code == 200 and response.json() == {"recorded": 3}
    forgotten = client.post(url, json={"visits": [{"step": 3, "ms": 5 * 3600 * 1000}]}, headers=headers)
    assert forgotten.status_code == 200
    rows = {r.step: r for r in session.exec(select(StepVisit).where(StepVisit.user_id == learner.id)).all()}
    assert sorted(rows) == [1, 2, 3]
    assert (rows[1].visits, rows[1].back_steps, rows[1].total_ms) == (6, 3, 4800)
    assert rows[3].total_ms == MAX_STEP_MS  # a tab left open does not count as hours of study

    beyond = client.post(url, json={"visits": [{"step": 8, "ms": 1}]}, headers=headers)
    assert beyond.status_code == 422 and "rows 1..7, not 8" in beyond.json()["detail"]
    empty = client.post(url, json={"visits": []}, headers=headers)
    assert empty.status_code == 422 and "visits" in empty.json()["message"]
    too_many = client.post(url, json={"visits": [{"step": 1, "ms": 1}] * 201}, headers=headers)
    assert too_many.status_code == 422
    negative = client.post(url, json={"visits": [{"step": 1, "ms": -5}]}, headers=headers)
    assert negative.status_code == 422 and "ms" in negative.json()["message"]


def test_instructors_see_prediction_accuracy_and_stepping_per_row(
    client: TestClient, session: Session, learner: User, instructor: User
) -> None:
    slug = "echo-loop"
    rows_url = f"/api/instructor/exercises/{slug}/rows"
    # The database is shared with other tests (Predict runs store predictions too): count what this adds.
    before = {r["n"]: r for r in client.get(rows_url, headers=bearer(client, instructor)).json()}
    for answer in ("'Hello'", "None", "'Hello'"):
        client.post(
            f"/api/exercises/{slug}/predictions", json={"step": 4, "answer": answer}, headers=bearer(client, learner)
        )
    client.post(
        f"/api/exercises/{slug}/stepping",
        json={"visits": [{"step": 4, "ms": 3000}, {"step": 4, "ms": 1000, "back": True}]},
        headers=bearer(client, learner),
    )
    assert client.get(f"/api/instructor/exercises/{slug}/rows", headers=bearer(client, learner)).status_code == 403
    response = client.get(f"/api/instructor/exercises/{slug}/rows", headers=bearer(client, instructor))
    assert response.status_code == 200
    rows = {r["n"]: r for r in response.json()}
    assert len(rows) == 10
    row_4, was = rows[4], before[4]
    assert (row_4["predictions"] - was["predictions"], row_4["predictions_correct"] - was["predictions_correct"]) == (
        3,
        2,
    )
    assert abs(row_4["share_correct"] - row_4["predictions_correct"] / row_4["predictions"]) < 1e-9
    assert row_4["asks_prediction"] is True
    assert (row_4["learners"] - was["learners"], row_4["visits"] - was["visits"]) == (1, 2)
    assert row_4["back_steps"] - was["back_steps"] == 1
    if was["visits"] == 0:
        assert row_4["mean_seconds"] == 2.0
    assert rows[1]["share_correct"] is None and rows[1]["asks_prediction"] is False
