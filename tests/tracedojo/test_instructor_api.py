"""The instructor's JSON API and pages: who may use them, and what they answer."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET

import pytest
from factories import bearer, create_learner, random_username, wait_for_result
from fastapi.testclient import TestClient
from sqlmodel import Session
from test_pages import csrf_of, sign_in

from grader import Exercise
from tracedojo.models import User
from tracedojo.routes import instructor as instructor_pages
from tracedojo.routes import instructor_api

WRONG_REPLY = """from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    await websocket.send_text(f"You said: {data}")
"""

API_ROUTES = [
    ("GET", "/api/instructor/gradebook"),
    ("GET", "/api/instructor/gradebook.csv"),
    ("GET", "/api/instructor/exercises/echo-once/stats"),
    ("GET", "/api/instructor/exercises/echo-once/stuck.svg"),
    ("POST", "/api/instructor/exercises/echo-once/regrade"),
    ("GET", "/api/instructor/exercises/echo-once/regrades"),
    ("GET", "/api/instructor/submissions/1"),
    ("GET", "/api/instructor/learners/1/timeline"),
]
PAGES = [
    ("GET", "/instructor"),
    ("GET", "/instructor/exercises/echo-once"),
    ("GET", "/instructor/submissions/1"),
    ("GET", "/instructor/learners/1"),
    ("POST", "/instructor/exercises/echo-once/regrade"),
]


def test_every_instructor_route_is_listed_here() -> None:
    """A new instructor route must be added to the authorization tests below."""
    routes = {
        (method, re.sub(r"\{[^}]+\}", "X", route.path))  # type: ignore[attr-defined]
        for route in instructor_api.router.routes + instructor_pages.router.routes
        for method in (getattr(route, "methods", None) or {"WS"})
    }
    listed = {(m, re.sub(r"/(echo-once|1)(?=/|$)", "/X", p)) for m, p in API_ROUTES + PAGES}
    listed.add(("WS", "/api/instructor/live"))
    assert routes == listed


@pytest.mark.parametrize(("method", "path"), API_ROUTES)
def test_api_refuses_strangers_401_and_learners_403(client: TestClient, learner: User, method: str, path: str) -> None:
    stranger = client.request(method, path)
    assert stranger.status_code == 401 and stranger.headers["www-authenticate"] == "Bearer"
    refused = client.request(method, path, headers=bearer(client, learner))
    assert refused.status_code == 403 and refused.json()["detail"] == "instructors only"


@pytest.mark.parametrize(("method", "path"), PAGES)
def test_pages_send_strangers_to_sign_in_and_refuse_learners(
    anonymous: TestClient, client: TestClient, learner: User, method: str, path: str
) -> None:
    redirected = anonymous.request(method, path, follow_redirects=False)
    assert redirected.status_code == 303 and redirected.headers["location"].startswith("/login?next=")
    signed_in = TestClient(client.app)
    sign_in(signed_in, learner)
    data = {"csrf_token": csrf_of(signed_in.get("/exercises/echo-once"))} if method == "POST" else None
    refused = signed_in.request(method, path, data=data)
    assert refused.status_code == 403 and "for instructors" in refused.text
    assert "<html" in refused.text  # an error page, not JSON


def _submit(client: TestClient, headers: dict[str, str], code: str) -> dict:  # type: ignore[type-arg]
    response = client.post("/api/exercises/echo-once/submissions", json={"code": code}, headers=headers)
    assert response.status_code == 202, response.text
    return wait_for_result(client, response.json()["id"], headers)


def test_gradebook_filters_sorts_and_exports(
    client: TestClient, session: Session, instructor: User, echo_once: Exercise
) -> None:
    teacher = bearer(client, instructor)
    ada, bob = create_learner(session, username="ada" + random_username()), create_learner(session)
    _submit(client, bearer(client, ada), echo_once.source(echo_once.reference))
    _submit(client, bearer(client, bob), WRONG_REPLY)

    found = client.get("/api/instructor/gradebook", params={"search": ada.username.upper()}, headers=teacher).json()
    assert [r["username"] for r in found] == [ada.username]
    assert found[0]["exercises_passed"] == 1 and found[0]["last_activity"] is not None
    stuck = client.get(
        "/api/instructor/gradebook", headers=teacher, params={"exercise": "echo-once", "progress": "not_passed"}
    ).json()
    names = [r["username"] for r in stuck]
    assert bob.username in names and ada.username not in names
    newest = client.get(
        "/api/instructor/gradebook", params={"sort": "last_activity", "descending": "true"}, headers=teacher
    ).json()
    assert newest[0]["username"] == bob.username
    bad = client.get("/api/instructor/gradebook", params={"progress": "bogus"}, headers=teacher)
    assert bad.status_code == 422 and "progress" in bad.json()["message"]

    exported = client.get("/api/instructor/gradebook.csv", params={"search": bob.username}, headers=teacher)
    assert exported.status_code == 200 and exported.headers["content-type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="tracedojo-gradebook-\d{8}-\d{4}\.csv"', exported.headers["content-disposition"]
    )
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8"), newline="")))
    assert [r["username"] for r in rows] == [bob.username]
    assert rows[0]["echo-once code"] == "5" and rows[0]["echo-once passed"] == "no"
    assert rows[0]["echo-once attempts"] == "1"


def test_formula_usernames_are_defused_in_the_export(client: TestClient, session: Session, instructor: User) -> None:
    evil = User(username="@SUM(1+9)*cmd", password_hash="x")  # bypasses the username rules on purpose
    session.add(evil)
    session.commit()
    exported = client.get(
        "/api/instructor/gradebook.csv", params={"search": "sum(1+9)"}, headers=bearer(client, instructor)
    )
    rows = list(csv.reader(io.StringIO(exported.text, newline="")))
    assert rows[1][0] == "'@SUM(1+9)*cmd"


def test_stats_show_where_submissions_fail_first_and_what_they_did(
    client: TestClient, session: Session, instructor: User, echo_once: Exercise
) -> None:
    teacher = bearer(client, instructor)
    before = client.get("/api/instructor/exercises/echo-once/stats", headers=teacher).json()
    learner = create_learner(session)
    result = _submit(client, bearer(client, learner), WRONG_REPLY)
    failed = next(s for s in result["steps"] if s["status"] == "failed")
    assert failed["n"] == 6
    _submit(client, bearer(client, create_learner(session)), WRONG_REPLY)
    # An instructor trying the exercise out does not count.
    _submit(client, teacher, WRONG_REPLY)

    stats = client.get("/api/instructor/exercises/echo-once/stats", headers=teacher).json()
    assert stats["version"] == echo_once.version
    assert stats["submissions"] - before["submissions"] == 2
    step = next(s for s in stats["steps"] if s["n"] == 6)
    old = next(s for s in before["steps"] if s["n"] == 6)
    assert step["failed_first"] - old["failed_first"] == 2 and step["learners"] - old["learners"] == 2
    assert step["action"] == echo_once.execution_table[5].action
    assert step["expected"] == echo_once.execution_table[5].result
    assert any("You said: Hello" in r["actual"] and r["count"] >= 2 for r in step["wrong_replies"])
    assert [q["id"] for q in stats["quiz"]] == [q.id for q in echo_once.quiz]

    chart = client.get("/api/instructor/exercises/echo-once/stuck.svg", headers=teacher)
    assert chart.headers["content-type"] == "image/svg+xml"
    bars = [g for g in ET.fromstring(chart.text).iter("{http://www.w3.org/2000/svg}g") if g.get("data-key")]
    assert len(bars) == len(echo_once.execution_table)
    assert next(b for b in bars if b.get("data-key") == "6").get("data-value") == str(step["failed_first"])

    assert client.get("/api/instructor/exercises/nope/stats", headers=teacher).status_code == 404
    assert client.get("/api/instructor/exercises/nope/stuck.svg", headers=teacher).status_code == 404
    assert client.get("/api/instructor/exercises/nope/regrades", headers=teacher).status_code == 404
    assert client.get("/api/instructor/exercises/Bad_Slug/stats", headers=teacher).status_code == 422


def test_quiz_item_analysis_counts_first_tries_and_wrong_choices(
    client: TestClient, session: Session, instructor: User, echo_once: Exercise
) -> None:
    teacher = bearer(client, instructor)
    question = echo_once.quiz[1]
    wrong = [c for c in question.choices if c != question.answer]
    before = next(
        q
        for q in client.get("/api/instructor/exercises/echo-once/stats", headers=teacher).json()["quiz"]
        if q["id"] == question.id
    )
    for picks in ([wrong[0], question.answer], [question.answer], [wrong[0], wrong[1], question.answer]):
        headers = bearer(client, create_learner(session))
        for pick in picks:
            answered = client.post(
                f"/api/exercises/echo-once/quiz/{question.id}", json={"choice": pick}, headers=headers
            )
            assert answered.status_code == 200
    after = next(
        q
        for q in client.get("/api/instructor/exercises/echo-once/stats", headers=teacher).json()["quiz"]
        if q["id"] == question.id
    )
    assert after["learners"] - before["learners"] == 3 and after["answers"] - before["answers"] == 6
    assert after["choices"][wrong[0]] - before["choices"][wrong[0]] == 2
    assert after["choices"][wrong[1]] - before["choices"][wrong[1]] == 1
    assert after["first_choices"][wrong[0]] - before["first_choices"][wrong[0]] == 2
    assert after["first_choices"][question.answer] - before["first_choices"][question.answer] == 1
    right_first = round(after["first_try_share_correct"] * after["learners"]) - round(
        (before["first_try_share_correct"] or 0) * before["learners"]
    )
    assert right_first == 1


def test_submission_drill_down_and_learner_timeline(
    client: TestClient, session: Session, instructor: User, echo_once: Exercise
) -> None:
    teacher = bearer(client, instructor)
    learner = create_learner(session)
    headers = bearer(client, learner)
    question = echo_once.quiz[0]
    client.post(f"/api/exercises/echo-once/quiz/{question.id}", json={"choice": question.answer}, headers=headers)
    result = _submit(client, headers, WRONG_REPLY)

    detail = client.get(f"/api/instructor/submissions/{result['id']}", headers=teacher).json()
    assert detail["code"] == WRONG_REPLY and detail["username"] == learner.username
    assert detail["status"] == "failed" and len(detail["steps"]) == len(echo_once.execution_table)
    assert detail["earlier_results"] == []
    assert client.get("/api/instructor/submissions/999999999", headers=teacher).status_code == 404
    assert client.get("/api/instructor/submissions/0", headers=teacher).status_code == 422

    timeline = client.get(f"/api/instructor/learners/{learner.id}/timeline", headers=teacher).json()
    assert timeline["username"] == learner.username
    kinds = [(e["kind"], e.get("submission_id")) for e in timeline["events"]]
    assert kinds == [("quiz", None), ("submission", result["id"])]
    assert timeline["events"][1]["failed_at"] == 6 and timeline["events"][0]["correct"] is True
    assert client.get("/api/instructor/learners/999999999/timeline", headers=teacher).status_code == 404

    teacher_browser = TestClient(client.app)
    sign_in(teacher_browser, instructor)
    page = teacher_browser.get(f"/instructor/submissions/{result['id']}")
    assert page.status_code == 200
    assert 'class="codehilite"' in page.text and "You said" in page.text
    assert page.text.count('class="step failed"') == 1
    people = teacher_browser.get(f"/instructor/learners/{learner.id}")
    assert people.status_code == 200 and f"/instructor/submissions/{result['id']}" in people.text
    assert "answered" in people.text and teacher_browser.get("/instructor/learners/999999999").status_code == 404
