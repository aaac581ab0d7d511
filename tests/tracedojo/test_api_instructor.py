from __future__ import annotations

import csv
import io
import time

import pytest
from factories import bearer, create_learner, wait_for_result
from fastapi.testclient import TestClient
from sqlmodel import Session

from grader import Exercise
from tracedojo.models import User

INSTRUCTOR_ROUTES = [
    ("GET", "/api/instructor/gradebook"),
    ("GET", "/api/instructor/gradebook.csv"),
    ("GET", "/api/instructor/exercises/echo-once/stats"),
    ("POST", "/api/instructor/exercises/echo-once/regrade"),
]


@pytest.mark.parametrize(("method", "path"), INSTRUCTOR_ROUTES)
def test_instructor_routes_refuse_strangers_and_learners(
    client: TestClient, learner: User, method: str, path: str
) -> None:
    assert client.request(method, path).status_code == 401
    response = client.request(method, path, headers=bearer(client, learner))
    assert response.status_code == 403 and response.json()["detail"] == "instructors only"


def _submit(client: TestClient, headers: dict[str, str], code: str) -> dict:  # type: ignore[type-arg]
    response = client.post("/api/exercises/echo-once/submissions", json={"code": code}, headers=headers)
    assert response.status_code == 202
    return wait_for_result(client, response.json()["id"], headers)


def test_gradebook_stats_and_regrade(
    client: TestClient, session: Session, instructor: User, echo_once: Exercise
) -> None:
    teacher = bearer(client, instructor)
    before = client.get("/api/instructor/exercises/echo-once/stats", headers=teacher).json()

    ada, bob = create_learner(session), create_learner(session)
    ada_headers, bob_headers = bearer(client, ada), bearer(client, bob)
    variant = echo_once.variants[0]
    _submit(client, ada_headers, echo_once.source(variant.file))
    _submit(client, ada_headers, echo_once.source(echo_once.reference))
    _submit(client, bob_headers, "def broken(:\n")
    question = echo_once.quiz[0]
    wrong = next(c for c in question.choices if c != question.answer)
    client.post(f"/api/exercises/echo-once/quiz/{question.id}", json={"choice": question.answer}, headers=ada_headers)
    client.post(f"/api/exercises/echo-once/quiz/{question.id}", json={"choice": wrong}, headers=bob_headers)
    client.post(f"/api/exercises/echo-once/quiz/{question.id}", json={"choice": question.answer}, headers=bob_headers)

    book = {row["username"]: row for row in client.get("/api/instructor/gradebook", headers=teacher).json()}
    assert instructor.username not in book  # learners only
    ada_cell = book[ada.username]["exercises"]["echo-once"]
    assert ada_cell.pop("last_activity") is not None
    assert ada_cell == {
        "quiz_score": 1,
        "quiz_size": len(echo_once.quiz),
        "best_code_score": 7.0,
        "max_score": 7.0,
        "attempts": 2,
        "passed": True,
        "modes": {mode: {"attempts": 0, "best_score": None, "passed": False} for mode in ("parsons", "blanks", "fix")},
        "predict_best": None,  # no Predict run
        "reviews": 0,  # no Review rating
    }
    bob_cell = book[bob.username]["exercises"]["echo-once"]
    assert bob_cell["quiz_score"] == 0 and bob_cell["best_code_score"] == 0 and not bob_cell["passed"]

    exported = client.get("/api/instructor/gradebook.csv", headers=teacher)
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    table = {row["username"]: row for row in csv.DictReader(io.StringIO(exported.text))}
    assert table[ada.username]["echo-once code"] == "7" and table[ada.username]["echo-once attempts"] == "2"
    assert table[bob.username]["echo-once quiz"] == "0"

    stats = client.get("/api/instructor/exercises/echo-once/stats", headers=teacher).json()
    assert stats["submissions"] - before["submissions"] == 3
    assert stats["passed"] - before["passed"] == 1
    assert stats["did_not_load"] - before["did_not_load"] == 1
    step = {s["n"]: s["failed_first"] for s in stats["steps"]}
    old_step = {s["n"]: s["failed_first"] for s in before["steps"]}
    assert step[variant.fails_at] - old_step[variant.fails_at] == 1
    q = next(item for item in stats["quiz"] if item["id"] == question.id)
    old_q = next(item for item in before["quiz"] if item["id"] == question.id)
    assert q["answers"] - old_q["answers"] == 3
    assert q["choices"][wrong] - old_q["choices"][wrong] >= 1
    assert q["answer"] == question.answer and 0 < q["share_correct"] < 1

    assert client.get("/api/instructor/exercises/nope/stats", headers=teacher).status_code == 404
    assert client.post("/api/instructor/exercises/nope/regrade", headers=teacher).status_code == 404

    regraded = client.post("/api/instructor/exercises/echo-once/regrade", headers=teacher)
    assert regraded.status_code == 202
    assert regraded.json()["exercise"] == "echo-once" and regraded.json()["queued"] >= 3
    deadline = time.monotonic() + 60
    while (after := client.get("/api/instructor/exercises/echo-once/stats", headers=teacher).json())["graded"] < after[
        "submissions"
    ]:
        assert time.monotonic() < deadline, "the regrade did not finish"
        time.sleep(0.05)
    assert after["passed"] == stats["passed"]
