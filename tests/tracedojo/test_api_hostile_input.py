"""Bad input to every JSON route: a 4xx whose message names the field, and nothing stored half-way."""

from __future__ import annotations

import pytest
from factories import PASSWORD, bearer, random_username
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from tracedojo.models import MAX_ID, QuizAnswer, Submission, User

QUESTION = "/api/exercises/echo-once/quiz/data-after-step-4"
SUBMISSIONS = "/api/exercises/echo-once/submissions"


def count(session: Session, table: type[User] | type[Submission] | type[QuizAnswer]) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(table)).one()


def post_raw(client: TestClient, path: str, body: bytes, headers: dict[str, str] | None = None) -> object:
    return client.post(path, content=body, headers={**(headers or {}), "Content-Type": "application/json"})


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"username": "émile", "password": PASSWORD}, "username", "letters, digits"),
        ({"username": "ab\x00cd", "password": PASSWORD}, "username", "not a valid username"),
        ({"username": " padded ", "password": PASSWORD}, "username", "starting with a letter or digit"),
        ({"username": "tab\tname", "password": PASSWORD}, "username", "not a valid username"),
        ({"username": "x" * 33, "password": PASSWORD}, "username", "3 to 32"),
        ({"username": "newbie1", "password": "p" * 129}, "password", "at most 128"),
        ({"username": "newbie2", "password": PASSWORD, "role": "instructor"}, "role", "unknown field"),
        ({"username": 5, "password": True}, "username", "valid string"),
        ({"password": PASSWORD}, "username", "required"),
    ],
)
def test_register_names_the_field_and_stores_nobody(
    client: TestClient, session: Session, body: dict[str, object], field: str, words: str
) -> None:
    before = count(session, User)
    response = client.post("/api/auth/register", json=body)
    assert response.status_code == 422, response.text
    message = response.json()["message"]
    assert message.startswith(f"{field}: ") or f"; {field}: " in message, message
    assert words in message
    assert count(session, User) == before


def test_a_registered_name_is_lowercase_and_its_case_twin_is_taken(client: TestClient) -> None:
    name = random_username()
    assert (
        client.post("/api/auth/register", json={"username": name.upper(), "password": PASSWORD}).json()["username"]
        == name
    )
    twin = client.post("/api/auth/register", json={"username": name, "password": PASSWORD})
    assert twin.status_code == 409 and name in twin.json()["detail"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"{bad", "body: not valid JSON"),
        (b"", "body: missing; send a JSON object"),
        (b"[1, 2]", "body: expected a JSON object"),
        (b'"just a string"', "body: expected a JSON object"),
    ],
)
def test_bodies_that_are_not_json_objects_say_so(client: TestClient, body: bytes, words: str) -> None:
    response = post_raw(client, "/api/auth/register", body)
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert response.json()["message"].startswith(words), response.text  # type: ignore[attr-defined]


def test_bytes_that_are_not_utf8_are_a_400_naming_the_body(client: TestClient) -> None:
    response = post_raw(client, "/api/auth/register", b'{"username": "ab\xff\xfe", "password": "x"}')
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert response.json()["detail"].startswith("body: ") and "UTF-8" in response.json()["detail"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b'{"code": ""}', "code: is empty"),
        (b'{"code": "   \\n\\t"}', "code: is empty"),
        (b'{"code": "x = 1\\n\\u0000\\n"}', "code: contains a NUL character (line 2)"),
        (b'{"code": "x = \'\\ud800\'"}', "code: contains '\\ud800', half of a surrogate pair (line 1)"),
        (b'{"code": 5}', "code: Input should be a valid string"),
        (b'{"code": "x = 1", "status": "passed"}', "status: unknown field"),
        (b"{}", "code: Field required"),
    ],
)
def test_submissions_refuse_unusable_code_before_storing_anything(
    client: TestClient, session: Session, learner: User, body: bytes, words: str
) -> None:
    headers = bearer(client, learner)
    before = count(session, Submission)
    response = post_raw(client, SUBMISSIONS, body, headers)
    assert response.status_code == 422, response.text  # type: ignore[attr-defined]
    assert response.json()["message"].startswith(words), response.text  # type: ignore[attr-defined]
    assert count(session, Submission) == before


def test_a_huge_body_is_a_413_before_any_route_reads_it(client: TestClient, session: Session, learner: User) -> None:
    headers = bearer(client, learner)
    before = count(session, Submission)
    response = client.post(SUBMISSIONS, json={"code": "#" * (3 * 1024 * 1024)}, headers=headers)
    assert response.status_code == 413
    assert "request body is larger than" in response.json()["detail"]
    # Under the body limit but over the code limit: the code limit's own words.
    over_code_limit = client.post(SUBMISSIONS, json={"code": "#" * (70 * 1024)}, headers=headers)
    assert over_code_limit.status_code == 413 and "submissions are limited to" in over_code_limit.json()["detail"]
    assert count(session, Submission) == before


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"choice": "Z"}, 422, "choice 'Z' is not one of A, B, C, D"),
        ({"choice": "ß"}, 422, "is not one of"),
        ({"choice": "\x00"}, 422, "is not one of"),
        ({"choice": "AB"}, 422, "choice: String should have at most 1 character"),
        ({"choice": ""}, 422, "choice: String should have at least 1 character"),
        ({"choice": 1}, 422, "choice: Input should be a valid string"),
        ({"choice": "A", "correct": True}, 422, "correct: unknown field"),
    ],
)
def test_quiz_answers_that_are_not_a_choice_are_refused_and_not_stored(
    client: TestClient, session: Session, learner: User, body: dict[str, object], status: int, words: str
) -> None:
    headers = bearer(client, learner)
    before = count(session, QuizAnswer)
    response = client.post(QUESTION, json=body, headers=headers)
    assert response.status_code == status
    payload = response.json()
    assert words in (payload.get("message") or payload["detail"]), payload
    assert count(session, QuizAnswer) == before


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/api/exercises/echo-once/quiz/no-such-question", 404, "has no quiz question 'no-such-question'"),
        ("/api/exercises/echo-once/quiz/" + "q" * 65, 422, "question_id: String should have at most 64"),
        ("/api/exercises/no-such-lesson/quiz/data-after-step-4", 404, "no exercise 'no-such-lesson'"),
        ("/api/exercises/..%2F..%2Fetc%2Fpasswd/quiz/x", 404, "Not Found"),
        ("/api/exercises/%2e%2e/quiz/x", 422, "slug: String should match pattern"),
        ("/api/exercises/ECHO-ONCE/quiz/x", 422, "slug: String should match pattern"),
    ],
)
def test_quiz_paths_that_name_nothing(client: TestClient, learner: User, path: str, status: int, words: str) -> None:
    response = client.post(path, json={"choice": "A"}, headers=bearer(client, learner))
    assert response.status_code == status
    payload = response.json()
    assert words in (payload.get("message") or payload["detail"]), payload


@pytest.mark.parametrize(
    ("raw_id", "status", "words"),
    [
        ("0", 422, "submission_id: Input should be greater than or equal to 1"),
        ("-1", 422, "submission_id: Input should be greater than or equal to 1"),
        ("99999999999999999999999999", 422, "submission_id: Input should be less than or equal to"),
        ("1e3", 422, "submission_id: Input should be a valid integer"),
        (str(MAX_ID), 404, f"no submission {MAX_ID}"),
        (str(MAX_ID + 1), 422, f"submission_id: Input should be less than or equal to {MAX_ID}"),
    ],
)
def test_submission_ids_out_of_range(client: TestClient, learner: User, raw_id: str, status: int, words: str) -> None:
    response = client.get(f"/api/submissions/{raw_id}", headers=bearer(client, learner))
    assert response.status_code == status
    payload = response.json()
    assert words in (payload.get("message") or payload["detail"]), payload


def test_a_huge_chunked_body_without_a_length_is_cut_off_too(client: TestClient, learner: User) -> None:
    def chunks() -> object:
        yield b'{"code": "'
        for _ in range(40):
            yield b"#" * 65536
        yield b'"}'

    response = client.post(
        SUBMISSIONS, content=chunks(), headers={**bearer(client, learner), "Content-Type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413 and "request body is larger than" in response.json()["detail"]


def test_json_sent_to_the_token_endpoint_is_told_to_use_form_fields(client: TestClient, learner: User) -> None:
    response = client.post("/api/auth/token", json={"username": learner.username, "password": PASSWORD})
    assert response.status_code == 422
    assert response.json()["message"].startswith("username: Field required; password: Field required")
    assert "form fields (application/x-www-form-urlencoded), not JSON" in response.json()["message"]
