from __future__ import annotations

import json

import pytest
from factories import bearer, create_learner, wait_for_result
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select
from starlette.websockets import WebSocketDisconnect

from grader import Exercise
from tracedojo.models import QuizAnswer, Submission, User
from tracedojo.platform_state import Platform

SECRET_KEYS = ("answer", "explanation", "check", "variants", "reference", "also_correct", "payloads")


def test_every_learner_route_needs_a_sign_in(client: TestClient) -> None:
    assert client.get("/api/exercises").status_code == 401
    assert client.get("/api/exercises/echo-once").status_code == 401
    assert client.post("/api/exercises/echo-once/quiz/x", json={"choice": "A"}).status_code == 401
    assert client.post("/api/exercises/echo-once/submissions", json={"code": "x"}).status_code == 401
    assert client.get("/api/submissions/1").status_code == 401


def test_exercise_list_has_progress(client: TestClient, learner: User, platform: Platform) -> None:
    response = client.get("/api/exercises", headers=bearer(client, learner))
    assert response.status_code == 200
    listing = response.json()
    assert [e["slug"] for e in listing] == [e.slug for e in platform.catalog]
    echo = next(e for e in listing if e["slug"] == "echo-once")
    assert echo["steps"] == 7 and echo["quiz_size"] >= 3
    assert echo["progress"]["attempts"] == 0 and echo["progress"]["best_score"] is None


def test_lesson_has_every_section_and_no_answers(client: TestClient, learner: User, platform: Platform) -> None:
    headers = bearer(client, learner)
    for exercise in platform.catalog:
        response = client.get(f"/api/exercises/{exercise.slug}", headers=headers)
        assert response.status_code == 200
        lesson = response.json()
        for section in (
            "concept_flow",
            "sample",
            "execution_table",
            "variable_tracker",
            "key_moments",
            "quiz",
            "snapshot",
            "transcript",
        ):
            assert lesson[section], section
        assert [q["id"] for q in lesson["quiz"]] == [q.id for q in exercise.quiz]
        assert lesson["quiz"][0]["choices"] == exercise.quiz[0].choices
        assert all(set(q) == {"id", "prompt", "choices"} for q in lesson["quiz"])
        _assert_no_secret_keys({k: v for k, v in lesson.items() if k != "key_moments"})
        for question in exercise.quiz:
            assert question.explanation not in response.text


def _assert_no_secret_keys(value: object) -> None:
    if isinstance(value, dict):
        assert not set(value) & set(SECRET_KEYS), set(value) & set(SECRET_KEYS)
        for item in value.values():
            _assert_no_secret_keys(item)
    elif isinstance(value, list):
        for item in value:
            _assert_no_secret_keys(item)


def test_unknown_exercise_is_404(client: TestClient, learner: User) -> None:
    headers = bearer(client, learner)
    assert client.get("/api/exercises/no-such-thing", headers=headers).status_code == 404
    assert client.get("/api/exercises/Bad_Slug!", headers=headers).status_code in (404, 422)
    response = client.post("/api/exercises/no-such-thing/submissions", json={"code": "x = 1"}, headers=headers)
    assert response.status_code == 404


def test_quiz_feedback_and_every_answer_stored(
    client: TestClient, learner: User, session: Session, echo_once: Exercise
) -> None:
    headers = bearer(client, learner)
    question = echo_once.quiz[0]
    wrong = next(letter for letter in question.choices if letter != question.answer)
    url = f"/api/exercises/echo-once/quiz/{question.id}"

    first = client.post(url, json={"choice": wrong}, headers=headers).json()
    assert first == {
        "question_id": question.id,
        "correct": False,
        "hint": question.hint,
        "hint_parts": [
            {"text": "Check the "},
            {"text": "Variable tracker", "href": "#tracker"},
            {"text": " row for data in its 'After "},
            {"text": "Step 4", "href": "#step-4"},
            {"text": "' column."},
        ],
        "attempt": 1,
        "first_try": True,
    }
    second = client.post(url, json={"choice": question.answer.lower()}, headers=headers).json()
    assert second["correct"] is True and second["explanation"] == question.explanation and "hint" not in second
    assert "hint_parts" not in second
    assert second["attempt"] == 2 and second["first_try"] is False

    rows = session.exec(select(QuizAnswer).where(QuizAnswer.user_id == learner.id).order_by(col(QuizAnswer.id))).all()
    assert [(r.question_id, r.choice, r.correct) for r in rows] == [
        (question.id, wrong, False),
        (question.id, question.answer, True),
    ]
    assert rows[0].exercise_version == echo_once.version

    # First-attempt policy: a wrong first answer scores nothing, even when solved later.
    listing = client.get("/api/exercises", headers=headers).json()
    progress = next(e for e in listing if e["slug"] == "echo-once")["progress"]
    assert progress["quiz_score"] == 0 and progress["quiz_solved"] == 1


def test_quiz_bad_requests(client: TestClient, learner: User, echo_once: Exercise) -> None:
    headers = bearer(client, learner)
    url = f"/api/exercises/echo-once/quiz/{echo_once.quiz[0].id}"
    not_a_choice = client.post(url, json={"choice": "Z"}, headers=headers)
    assert not_a_choice.status_code == 422 and "not one of A, B" in not_a_choice.json()["detail"]
    assert client.post(url, json={}, headers=headers).status_code == 422
    assert client.post(url, json={"choice": "AB"}, headers=headers).status_code == 422
    assert client.post(url, content=b"A", headers=headers).status_code == 422
    unknown = client.post("/api/exercises/echo-once/quiz/nope", json={"choice": "A"}, headers=headers)
    assert unknown.status_code == 404 and "nope" in unknown.json()["detail"]


def test_submission_is_stored_queued_then_graded(
    client: TestClient, learner: User, session: Session, echo_once: Exercise
) -> None:
    headers = bearer(client, learner)
    code = echo_once.source(echo_once.reference)
    response = client.post("/api/exercises/echo-once/submissions", json={"code": code}, headers=headers)
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued"
    stored = session.get(Submission, body["id"])
    assert stored is not None and stored.code == code and stored.exercise_version == echo_once.version

    result = wait_for_result(client, body["id"], headers)
    assert result["status"] == "passed", result
    assert result["score"] == result["max_score"] == 7.0
    assert result["exercise"] == "echo-once" and result["id"] == body["id"]
    assert [s["n"] for s in result["steps"]] == list(range(1, 8))
    assert all(s["status"] == "passed" for s in result["steps"])
    assert set(result) >= {"submission", "message", "output", "duration_ms"}


@pytest.mark.parametrize("variant_index", [0, 1, 2])
def test_known_wrong_variants_fail_at_their_step(
    client: TestClient, learner: User, echo_once: Exercise, variant_index: int
) -> None:
    headers = bearer(client, learner)
    variant = echo_once.variants[variant_index]
    response = client.post(
        "/api/exercises/echo-once/submissions", json={"code": echo_once.source(variant.file)}, headers=headers
    )
    result = wait_for_result(client, response.json()["id"], headers)
    assert result["status"] in ("failed", "error")
    first_bad = next(s for s in result["steps"] if s["status"] not in ("passed", "skipped"))
    assert first_bad["n"] == variant.fails_at, (variant.file, result)


def test_oversized_and_empty_code_refused(client: TestClient, learner: User, platform: Platform) -> None:
    headers = bearer(client, learner)
    limit = platform.settings.limits.code_bytes
    too_big = client.post("/api/exercises/echo-once/submissions", json={"code": "#" * (limit + 1)}, headers=headers)
    assert too_big.status_code == 413
    assert f"limited to {limit} bytes" in too_big.json()["detail"]
    assert client.post("/api/exercises/echo-once/submissions", json={"code": ""}, headers=headers).status_code == 422
    assert client.post("/api/exercises/echo-once/submissions", json={"src": "x"}, headers=headers).status_code == 422
    assert client.post("/api/exercises/echo-once/submissions", json={"code": 3}, headers=headers).status_code == 422


def test_another_learners_submission_is_404_but_an_instructor_sees_it(
    client: TestClient, learner: User, instructor: User, session: Session
) -> None:
    owner_headers = bearer(client, learner)
    submitted = client.post("/api/exercises/echo-once/submissions", json={"code": "x = 1\n"}, headers=owner_headers)
    submission_id = submitted.json()["id"]
    other = create_learner(session)
    response = client.get(f"/api/submissions/{submission_id}", headers=bearer(client, other))
    assert response.status_code == 404
    assert client.get(f"/api/submissions/{submission_id}", headers=owner_headers).status_code == 200
    assert client.get(f"/api/submissions/{submission_id}", headers=bearer(client, instructor)).status_code == 200
    assert client.get("/api/submissions/999999", headers=owner_headers).status_code == 404
    assert client.get("/api/submissions/abc", headers=owner_headers).status_code == 422


def test_code_that_does_not_load_is_an_error_result(client: TestClient, learner: User) -> None:
    headers = bearer(client, learner)
    response = client.post("/api/exercises/echo-once/submissions", json={"code": "def broken(:\n"}, headers=headers)
    result = wait_for_result(client, response.json()["id"], headers)
    assert result["status"] == "error"
    assert result["score"] == 0
    assert "line 1" in result["message"]


def test_live_websocket_streams_steps_then_the_result(client: TestClient, learner: User, echo_once: Exercise) -> None:
    headers = bearer(client, learner)
    token = headers["Authorization"].removeprefix("Bearer ")
    response = client.post(
        "/api/exercises/echo-once/submissions", json={"code": echo_once.source(echo_once.reference)}, headers=headers
    )
    submission_id = response.json()["id"]
    with client.websocket_connect(f"/api/submissions/{submission_id}/live?token={token}") as ws:
        events = []
        while not events or events[-1]["type"] != "result":
            events.append(ws.receive_json())
        assert ws.receive()["type"] == "websocket.close"  # the server ends it (and the TestClient cancels no app)
    steps = [e["step"] for e in events if e["type"] == "step"]
    assert [s["n"] for s in steps] == list(range(1, 8))
    assert all(s["status"] == "passed" for s in steps)
    assert events[-1]["result"]["status"] == "passed" and events[-1]["result"]["id"] == submission_id

    # Connecting after grading replays the stored steps and result.
    with client.websocket_connect(f"/api/submissions/{submission_id}/live", headers=headers) as ws:
        replay = [ws.receive_json() for _ in range(8)]
        assert ws.receive()["type"] == "websocket.close"
    assert [e["type"] for e in replay] == ["step"] * 7 + ["result"]


def test_live_websocket_refuses_strangers(client: TestClient, learner: User, session: Session) -> None:
    headers = bearer(client, learner)
    submission_id = client.post(
        "/api/exercises/echo-once/submissions", json={"code": "x = 1\n"}, headers=headers
    ).json()["id"]
    with (
        client.websocket_connect(f"/api/submissions/{submission_id}/live") as ws,
        pytest.raises(WebSocketDisconnect) as unauthenticated,
    ):
        ws.receive_json()
    assert unauthenticated.value.code == 4401
    other = bearer(client, create_learner(session))["Authorization"].removeprefix("Bearer ")
    with (
        client.websocket_connect(f"/api/submissions/{submission_id}/live?token={other}") as ws,
        pytest.raises(WebSocketDisconnect) as hidden,
    ):
        ws.receive_json()
    assert hidden.value.code == 4404


def test_live_websocket_with_a_cookie_only_from_our_own_pages(
    anonymous: TestClient, learner: User, echo_once: Exercise
) -> None:
    login_page = anonymous.get("/login").text
    token = login_page.split('name="csrf_token" value="')[1].split('"')[0]
    anonymous.post(
        "/login", data={"username": learner.username, "password": "correct horse battery", "csrf_token": token}
    )
    csrf = anonymous.get("/").text.split('name="csrf-token" content="')[1].split('"')[0]
    submission_id = anonymous.post(
        "/api/exercises/echo-once/submissions", json={"code": "x = 1\n"}, headers={"X-CSRF-Token": csrf}
    ).json()["id"]
    url = f"/api/submissions/{submission_id}/live"
    with (
        anonymous.websocket_connect(url, headers={"Origin": "http://evil.example"}) as ws,
        pytest.raises(WebSocketDisconnect) as refused,
    ):
        ws.receive_json()
    assert refused.value.code == 4401
    with anonymous.websocket_connect(url, headers={"Origin": "http://testserver"}) as ws:
        kinds = [ws.receive_json()["type"]]
        while kinds[-1] != "result":
            kinds.append(ws.receive_json()["type"])
        assert set(kinds) <= {"step", "result"}
        # Leave only once the server has closed: the TestClient cancels an app still running when the
        # client leaves, and that race is not what this test is about.
        assert ws.receive()["type"] == "websocket.close"


def test_cookie_sessions_need_the_csrf_header_for_changes(anonymous: TestClient, learner: User) -> None:
    login_page = anonymous.get("/login").text
    token = login_page.split('name="csrf_token" value="')[1].split('"')[0]
    signed_in = anonymous.post(
        "/login",
        data={"username": learner.username, "password": "correct horse battery", "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303
    assert anonymous.get("/api/exercises").status_code == 200  # reading with the cookie is fine
    refused = anonymous.post("/api/exercises/echo-once/submissions", json={"code": "x = 1"})
    assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["detail"]
    csrf = anonymous.get("/").text.split('name="csrf-token" content="')[1].split('"')[0]
    accepted = anonymous.post(
        "/api/exercises/echo-once/submissions", json={"code": "x = 1"}, headers={"X-CSRF-Token": csrf}
    )
    assert accepted.status_code == 202


def test_nothing_answers_500_to_junk(client: TestClient, learner: User) -> None:
    headers = bearer(client, learner)
    junk_bodies = [b"", b"null", b"[]", b'"x"', b"{}", json.dumps({"code": None}).encode(), b"\xff\xfe"]
    paths = [
        "/api/auth/register",
        "/api/auth/token",
        "/api/exercises/echo-once/quiz/data-after-step-4",
        "/api/exercises/echo-once/submissions",
    ]
    for path in paths:
        for body in junk_bodies:
            for content_type in ("application/json", "application/x-www-form-urlencoded", "text/plain"):
                response = client.post(path, content=body, headers={**headers, "Content-Type": content_type})
                assert response.status_code < 500, (path, body, content_type, response.text)
    for path in [
        "/api/submissions/-1",
        "/api/submissions/99999999999999999999",
        "/api/exercises/%00",
        "/exercises/nope",
        "/submissions/0",
        "/nope",
    ]:
        assert client.get(path, headers=headers).status_code < 500, path
