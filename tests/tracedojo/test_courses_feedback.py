"""Feedback on code: staff comments on a line or the whole, the learner's notice, reusable feedback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from course_factories import create_course_with_staff, enrol, graded_submission
from factories import EXERCISES, bearer, create_learner, wait_for_result
from fastapi.testclient import TestClient
from sqlmodel import Session

from grader.results import StepResult
from tracedojo.course_models import Course, CourseRole
from tracedojo.feedback import failure_kind
from tracedojo.models import User

WRONG = EXERCISES / "echo-once" / "wrong"


@pytest.fixture
def course(session: Session) -> tuple[Course, User]:
    return create_course_with_staff(session)


def _submit(client: TestClient, learner: User, code: str) -> dict:  # type: ignore[type-arg]
    headers = bearer(client, learner)
    response = client.post("/api/exercises/echo-once/submissions", json={"code": code}, headers=headers)
    assert response.status_code == 202, response.text
    return wait_for_result(client, response.json()["id"], headers)


def test_staff_comment_on_a_line_and_the_learner_reads_it_once_as_news(
    client: TestClient, session: Session, course: tuple[Course, User]
) -> None:
    theirs, instructor = course
    learner = enrol(session, theirs)
    row = graded_submission(session, learner, at=datetime.now(UTC), score=3)
    staff = bearer(client, instructor)
    path = f"/api/courses/{theirs.id}/submissions/{row.id}/comments"
    on_line = client.post(path, json={"body": "accept() first, then receive", "line": 2}, headers=staff)
    assert on_line.status_code == 201, on_line.text
    assert on_line.json()["line"] == 2 and on_line.json()["author"] == instructor.username
    whole = client.post(path, json={"body": "Good start overall."}, headers=staff)
    assert whole.status_code == 201

    mine = bearer(client, learner)
    assert client.get("/api/feedback/unseen", headers=mine).json() == [
        {"submission_id": row.id, "exercise": "echo-once", "comments": 2}
    ]
    read = client.get(f"/api/submissions/{row.id}/feedback", headers=mine).json()
    assert [(c["line"], c["body"]) for c in read["comments"]] == [
        (None, "Good start overall."),
        (2, "accept() first, then receive"),
    ]
    assert client.get("/api/feedback/unseen", headers=mine).json() == []
    # Staff reading it does not mark it seen for the learner; the course's staff may read it.
    assert client.get(f"/api/submissions/{row.id}/feedback", headers=staff).status_code == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"body": ""}, "body: String should have at least 1 character"),
        ({"body": "   "}, "body: is empty"),
        ({"body": "x", "line": 40}, "line: the submission has lines 1 to 3, not 40"),
        ({"body": "x", "line": 0}, "line: Input should be greater than or equal to 1"),
        ({"body": "x", "line": "two"}, "line: Input should be a valid integer"),
        ({"body": "x" * 4001}, "body: String should have at most 4000 characters"),
    ],
)
def test_bad_comments_are_422_with_the_reason(
    client: TestClient, session: Session, course: tuple[Course, User], body: dict[str, object], message: str
) -> None:
    theirs, instructor = course
    row = graded_submission(session, enrol(session, theirs), at=datetime.now(UTC), score=3)
    response = client.post(
        f"/api/courses/{theirs.id}/submissions/{row.id}/comments", json=body, headers=bearer(client, instructor)
    )
    assert response.status_code == 422, response.text
    payload = response.json()
    assert message in str(payload.get("message", payload.get("detail")))


def test_comments_stay_inside_the_course(client: TestClient, session: Session, course: tuple[Course, User]) -> None:
    theirs, _ = course
    _, other_instructor = create_course_with_staff(session, title="Elsewhere")
    learner, classmate = enrol(session, theirs), enrol(session, theirs)
    stranger = create_learner(session)  # in no course of this instructor
    row = graded_submission(session, learner, at=datetime.now(UTC), score=3)
    theirs_by_stranger = graded_submission(session, stranger, at=datetime.now(UTC), score=3)
    body = {"body": "hello"}
    path = f"/api/courses/{theirs.id}/submissions/{row.id}/comments"
    assert client.post(path, json=body, headers=bearer(client, other_instructor)).status_code == 404
    assert client.post(path, json=body, headers=bearer(client, classmate)).status_code == 403
    assert client.get(f"/api/submissions/{row.id}/feedback", headers=bearer(client, classmate)).status_code == 404
    assert (
        client.get(f"/api/submissions/{row.id}/feedback", headers=bearer(client, other_instructor)).status_code == 404
    )
    staff = bearer(client, course[1])
    outside = client.post(
        f"/api/courses/{theirs.id}/submissions/{theirs_by_stranger.id}/comments", json=body, headers=staff
    )
    assert outside.status_code == 404
    assert client.get(f"/api/courses/{theirs.id}/submissions/{row.id}", headers=staff).json()["id"] == row.id
    assistant = enrol(session, theirs, role=CourseRole.ASSISTANT)
    assert client.post(path, json=body, headers=bearer(client, assistant)).status_code == 201


@pytest.mark.parametrize(
    ("actual", "status", "kind"),
    [
        ("your endpoint closed the connection before accepting it (code 1008)", "failed", "closed"),
        ("your endpoint sent the text message 'Welcome!'", "failed", "text"),
        ("the connection closed because it raised JSONDecodeError: Expecting value", "failed", "exception"),
        ("", "timeout", "timeout"),
        ("something new", "failed", "other"),
    ],
)
def test_the_kind_of_a_failure(actual: str, status: str, kind: str) -> None:
    assert failure_kind(StepResult(n=2, title="Step 2", status=status, actual=actual)) == kind


def test_reusable_feedback_shows_on_later_submissions_with_the_same_pattern_and_counts(
    client: TestClient, session: Session, course: tuple[Course, User]
) -> None:
    theirs, instructor = course
    first, second, third = enrol(session, theirs), enrol(session, theirs), enrol(session, theirs)
    outsider = create_learner(session)  # not in the course: its feedback is not theirs
    closes = (WRONG / "closes_instead.py").read_text()
    greets = (WRONG / "greets_first.py").read_text()
    before = _submit(client, first, closes)
    assert before["steps"][1]["status"] == "failed"

    staff = bearer(client, instructor)
    made = client.post(
        f"/api/courses/{theirs.id}/feedback",
        json={"submission_id": before["id"], "body": "Call websocket.accept() before anything else."},
        headers=staff,
    )
    assert made.status_code == 201, made.text
    assert (made.json()["step"], made.json()["kind"], made.json()["fired"]) == (2, "closed", 0)

    same = _submit(client, second, closes)
    again = _submit(client, third, closes)
    other_pattern = _submit(client, third, greets)
    not_in_course = _submit(client, outsider, closes)

    def reusable(submission: dict, user: User) -> list[str]:  # type: ignore[type-arg]
        response = client.get(f"/api/submissions/{submission['id']}/feedback", headers=bearer(client, user))
        return [f["body"] for f in response.json()["reusable"]]

    assert reusable(same, second) == ["Call websocket.accept() before anything else."]
    assert reusable(again, third) == ["Call websocket.accept() before anything else."]
    assert reusable(other_pattern, third) == []
    assert reusable(not_in_course, outsider) == []
    assert reusable(before, first) == []  # made before the feedback existed

    rules = client.get(f"/api/courses/{theirs.id}/feedback", headers=staff).json()
    assert [(r["fired"], r["learners"]) for r in rules] == [(2, 2)]
    gone = client.delete(f"/api/courses/{theirs.id}/feedback/{rules[0]['id']}", headers=staff)
    assert gone.status_code == 204
    assert reusable(same, second) == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"body": "x"}, "send submission_id, or exercise, step and kind together"),
        ({"body": "x", "exercise": "echo-once", "step": 99, "kind": "closed"}, "step: echo-once has steps 1 to"),
        ({"body": "x", "exercise": "echo-once", "step": 2, "kind": "weird"}, "kind: 'weird' is not a failure kind"),
        ({"body": "x", "exercise": "nope", "step": 2, "kind": "closed"}, "exercise: there is no lesson 'nope'"),
        ({"body": "x", "submission_id": 1, "step": 2}, "not both"),
    ],
)
def test_bad_reusable_feedback_is_422(
    client: TestClient, course: tuple[Course, User], body: dict[str, object], message: str
) -> None:
    theirs, instructor = course
    response = client.post(f"/api/courses/{theirs.id}/feedback", json=body, headers=bearer(client, instructor))
    assert response.status_code == 422, response.text
    payload = response.json()
    assert message in str(payload.get("message", payload.get("detail")))


def test_a_passing_submission_has_no_pattern_to_attach_to(
    client: TestClient, session: Session, course: tuple[Course, User]
) -> None:
    theirs, instructor = course
    row = graded_submission(
        session, enrol(session, theirs), at=datetime.now(UTC) - timedelta(minutes=1), score=7, steps=[]
    )
    response = client.post(
        f"/api/courses/{theirs.id}/feedback",
        json={"submission_id": row.id, "body": "well done"},
        headers=bearer(client, instructor),
    )
    assert response.status_code == 422
    assert "no failing step" in response.json()["detail"]
