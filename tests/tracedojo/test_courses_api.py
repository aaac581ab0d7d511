"""The course API: enrolment, scoping and privacy, assignments with deadlines in time zones, the gradebook."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from course_factories import DUE, create_course_with_staff, create_echo_assignment, enrol, graded_submission
from factories import bearer, create_learner
from fastapi.testclient import TestClient
from sqlmodel import Session

from tracedojo.assignments import create_assignment
from tracedojo.course_models import Course, CourseRole
from tracedojo.models import Role, User


@pytest.fixture
def course(session: Session) -> tuple[Course, User]:
    return create_course_with_staff(session)


def test_an_instructor_creates_a_course_and_a_learner_joins_it_with_the_code(
    client: TestClient, instructor: User, learner: User
) -> None:
    staff = bearer(client, instructor)
    made = client.post("/api/courses", json={"title": "  Realtime APIs  "}, headers=staff)
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["title"] == "Realtime APIs" and body["role"] == "instructor" and len(body["join_code"]) == 8

    mine = bearer(client, learner)
    joined = client.post("/api/courses/join", json={"code": body["join_code"].lower()}, headers=mine)
    assert joined.status_code == 200, joined.text
    assert joined.json()["role"] == "learner" and joined.json()["join_code"] is None
    assert [c["id"] for c in client.get("/api/courses", headers=mine).json()] == [body["id"]]
    members = client.get(f"/api/courses/{body['id']}/members", headers=staff).json()
    assert {(m["username"], m["role"], m["enrolment"]) for m in members} == {
        (instructor.username, "instructor", "staff"),
        (learner.username, "learner", "join_code"),
    }


def test_a_wrong_join_code_says_so(client: TestClient, learner: User) -> None:
    response = client.post("/api/courses/join", json={"code": "ZZZZ9999"}, headers=bearer(client, learner))
    assert response.status_code == 404
    assert "no course has the join code 'ZZZZ9999'" in response.json()["detail"]


def test_learners_cannot_create_courses(client: TestClient, learner: User) -> None:
    response = client.post("/api/courses", json={"title": "Mine"}, headers=bearer(client, learner))
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "title: Field required"),
        ({"title": "   "}, "title: is blank"),
        ({"title": "x", "owner": 3}, "owner: unknown field"),
        ("[]", "body: expected a JSON object"),
    ],
)
def test_a_bad_course_body_is_422_naming_the_field(
    client: TestClient, instructor: User, body: object, message: str
) -> None:
    headers = bearer(client, instructor)
    if isinstance(body, str):
        response = client.post("/api/courses", content=body, headers={**headers, "content-type": "application/json"})
    else:
        response = client.post("/api/courses", json=body, headers=headers)
    assert response.status_code == 422
    assert message in response.json()["message"]


def test_another_course_answers_404_to_its_staff_and_403_to_learners(
    client: TestClient, session: Session, course: tuple[Course, User]
) -> None:
    theirs, _ = course
    _, other_instructor = create_course_with_staff(session, title="Another class")
    member = enrol(session, theirs)
    outsider = create_learner(session)
    create_echo_assignment(session, theirs)
    staff_routes = [
        f"/api/courses/{theirs.id}/gradebook",
        f"/api/courses/{theirs.id}/gradebook.csv",
        f"/api/courses/{theirs.id}/members",
        f"/api/courses/{theirs.id}/feedback",
    ]
    for path in [f"/api/courses/{theirs.id}", *staff_routes]:
        assert client.get(path, headers=bearer(client, other_instructor)).status_code == 404, path
    for path in staff_routes:
        assert client.get(path, headers=bearer(client, member)).status_code == 403, path
        assert client.get(path, headers=bearer(client, outsider)).status_code == 403, path
    # A learner outside the course learns nothing about it.
    assert client.get(f"/api/courses/{theirs.id}", headers=bearer(client, outsider)).status_code == 404
    # A global instructor who is not a member cannot set work in it.
    response = client.post(
        f"/api/courses/{theirs.id}/assignments",
        json={"exercise": "echo-once", "due_at": "2031-01-01T00:00:00Z"},
        headers=bearer(client, other_instructor),
    )
    assert response.status_code == 404


def test_an_assistant_reads_the_gradebook_but_cannot_move_dates(
    client: TestClient, session: Session, course: tuple[Course, User]
) -> None:
    theirs, _ = course
    assistant = enrol(session, theirs, role=CourseRole.ASSISTANT)
    assignment = create_echo_assignment(session, theirs)
    headers = bearer(client, assistant)
    assert client.get(f"/api/courses/{theirs.id}/gradebook", headers=headers).status_code == 200
    response = client.patch(
        f"/api/courses/{theirs.id}/assignments/{assignment.id}", json={"points": 5}, headers=headers
    )
    assert response.status_code == 403
    assert "instructors only" in response.json()["detail"]


def test_a_due_date_typed_in_the_instructors_zone_is_stored_in_utc(
    client: TestClient, course: tuple[Course, User]
) -> None:
    theirs, instructor = course
    response = client.post(
        f"/api/courses/{theirs.id}/assignments",
        json={
            "exercise": "echo-once",
            "points": 20,
            "release_at": "2031-03-01T09:00",
            "due_at": "2031-03-14T18:59",  # EDT (UTC-4) by then
            "late_until": "2031-03-16T18:59:00-04:00",
            "late_credit": 0.5,
            "time_zone": "America/New_York",
        },
        headers=bearer(client, instructor),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["release_at"], body["due_at"], body["late_until"]) == (
        "2031-03-01T14:00:00Z",  # EST (UTC-5) before the clocks change on 9 March
        "2031-03-14T22:59:00Z",
        "2031-03-16T22:59:00Z",
    )
    assert body["title"] == "WebSocket endpoint creation in FastAPI"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"due_at": "2031-03-14T18:59"}, "due_at: has no time zone; add an offset"),
        ({"due_at": "2031-03-14T18:59", "time_zone": "Mars/Olympus"}, "'Mars/Olympus' is not a known time zone"),
        ({"due_at": "2031-03-09T02:30", "time_zone": "America/New_York"}, "does not exist in America/New_York"),
        ({"due_at": "tomorrow"}, "due_at: Input should be a valid datetime"),
        ({"due_at": "2031-03-14T18:59Z", "late_credit": 2}, "late_credit: Input should be less than or equal to 1"),
        ({"due_at": "2031-03-14T18:59Z", "late_until": "2031-03-13T00:00Z"}, "late_until: is before due_at"),
        (
            {"due_at": "2031-03-14T18:59Z", "exercise": "no-such-lesson"},
            "exercise: there is no lesson 'no-such-lesson'",
        ),
        ({"due_at": "2031-03-14T18:59Z", "exercise": "../etc"}, "exercise: String should match pattern"),
        ({"due_at": "2031-03-14T18:59Z", "points": 0}, "points: Input should be greater than 0"),
    ],
)
def test_bad_assignment_bodies_are_422_with_the_reason(
    client: TestClient, course: tuple[Course, User], extra: dict[str, object], message: str
) -> None:
    theirs, instructor = course
    body = {"exercise": "echo-once", **extra}
    response = client.post(f"/api/courses/{theirs.id}/assignments", json=body, headers=bearer(client, instructor))
    assert response.status_code == 422, response.text
    payload = response.json()
    assert message in str(payload.get("message", payload.get("detail")))


def test_the_same_lesson_cannot_be_set_twice(client: TestClient, session: Session, course: tuple[Course, User]) -> None:
    theirs, instructor = course
    create_echo_assignment(session, theirs)
    response = client.post(
        f"/api/courses/{theirs.id}/assignments",
        json={"exercise": "echo-once", "due_at": "2031-01-01T00:00:00Z", "release_at": "2030-12-01T00:00:00Z"},
        headers=bearer(client, instructor),
    )
    assert response.status_code == 422
    assert "already assignment" in response.json()["detail"]


def test_a_learner_sees_released_assignments_only_with_their_own_grade(
    client: TestClient, session: Session, course: tuple[Course, User]
) -> None:
    theirs, _ = course
    released = create_echo_assignment(session, theirs, due=datetime.now(UTC) + timedelta(days=1))
    hidden = create_assignment(
        session,
        course_id=theirs.id or 0,
        exercise_slug="json-messages",
        points=5,
        release_at=datetime.now(UTC) + timedelta(days=3),
        due_at=datetime.now(UTC) + timedelta(days=10),
    )
    learner = enrol(session, theirs)
    graded_submission(session, learner, at=datetime.now(UTC) - timedelta(minutes=5), score=3.5)
    headers = bearer(client, learner)
    detail = client.get(f"/api/courses/{theirs.id}", headers=headers).json()
    assert [a["id"] for a in detail["assignments"]] == [released.id]
    assert detail["assignments"][0]["grade"]["score"] == 5.0
    assert detail["assignments"][0]["grade"]["state"] == "on_time"
    assert client.get(f"/api/courses/{theirs.id}/assignments/{hidden.id}", headers=headers).status_code == 404


def test_work_after_the_last_date_is_practice_and_the_gradebook_says_so(
    client: TestClient, session: Session, course: tuple[Course, User]
) -> None:
    theirs, instructor = course
    assignment = create_echo_assignment(session, theirs)  # late credit 0.5 for two days
    on_time, late, too_late = enrol(session, theirs), enrol(session, theirs), enrol(session, theirs)
    graded_submission(session, on_time, at=DUE - timedelta(seconds=1), score=7)
    graded_submission(session, late, at=DUE + timedelta(seconds=1), score=7)
    graded_submission(session, too_late, at=DUE + timedelta(days=2, seconds=1), score=7)
    headers = bearer(client, instructor)
    book = client.get(f"/api/courses/{theirs.id}/gradebook", headers=headers).json()
    by_name = {row["username"]: row["grades"][str(assignment.id)] for row in book["rows"]}
    assert (by_name[on_time.username]["score"], by_name[on_time.username]["state"]) == (10.0, "on_time")
    assert (by_name[late.username]["score"], by_name[late.username]["state"]) == (5.0, "late")
    assert (by_name[too_late.username]["score"], by_name[too_late.username]["state"]) == (0.0, "missing")
    assert by_name[too_late.username]["practice_after_deadline"] == 1

    exported = client.get(f"/api/courses/{theirs.id}/gradebook.csv", headers=headers)
    assert exported.headers["content-type"].startswith("text/csv")
    rows = {row["username"]: row for row in csv.DictReader(io.StringIO(exported.text))}
    assert rows[late.username]["echo-once score"] == "5"
    assert rows[late.username]["echo-once state"] == "late"
    assert rows[late.username]["echo-once due (UTC)"] == "2025-03-14 23:59 UTC"
    assert rows[too_late.username]["total"] == "0"


def test_moving_the_due_date_regrades_and_lists_what_changed(
    client: TestClient, session: Session, course: tuple[Course, User]
) -> None:
    theirs, instructor = course
    assignment = create_echo_assignment(session, theirs, late_days=None)
    late = enrol(session, theirs)
    enrol(session, theirs)  # nothing submitted: stays missing either way
    graded_submission(session, late, at=DUE + timedelta(hours=3), score=7)
    headers = bearer(client, instructor)
    # 04:00 in Paris on 15 March is 03:00 UTC: later than the submission.
    response = client.patch(
        f"/api/courses/{theirs.id}/assignments/{assignment.id}",
        json={"due_at": "2025-03-15T04:00", "time_zone": "Europe/Paris"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["what"] == "due 2025-03-14 23:59 UTC → 2025-03-15 03:00 UTC"
    assert [(c["username"], c["before"], c["after"], c["after_state"]) for c in report["changes"]] == [
        (late.username, 0.0, 10.0, "on_time")
    ]
    history = client.get(f"/api/courses/{theirs.id}/assignments/{assignment.id}/changes", headers=headers).json()
    assert history[0]["id"] == report["id"] and history[0]["changed"] == 1
    nothing = client.patch(f"/api/courses/{theirs.id}/assignments/{assignment.id}", json={}, headers=headers)
    assert nothing.status_code == 422 and "nothing to change" in nothing.json()["message"]


def test_an_extension_is_one_learners_and_can_be_taken_back(
    client: TestClient, session: Session, course: tuple[Course, User]
) -> None:
    theirs, instructor = course
    assignment = create_echo_assignment(session, theirs, late_days=None)
    ill, other = enrol(session, theirs), enrol(session, theirs)
    for learner in (ill, other):
        graded_submission(session, learner, at=DUE + timedelta(days=1), score=7)
    headers = bearer(client, instructor)
    path = f"/api/courses/{theirs.id}/assignments/{assignment.id}/extensions"
    granted = client.put(
        f"{path}/{ill.id}", json={"due_at": "2025-03-17T12:00", "time_zone": "Asia/Tokyo"}, headers=headers
    )
    assert granted.status_code == 200, granted.text
    assert [(c["username"], c["after"]) for c in granted.json()["changes"]] == [(ill.username, 10.0)]
    own = client.get(f"/api/courses/{theirs.id}/assignments/{assignment.id}", headers=bearer(client, ill)).json()
    assert own["grade"]["due_at"] == "2025-03-17T03:00:00Z" and own["grade"]["extended"] is True
    assert own["due_at"] == "2025-03-14T23:59:00Z"  # the assignment's own date is unchanged
    grades = client.get(f"/api/courses/{theirs.id}/assignments/{assignment.id}/grades", headers=headers).json()
    assert {g["user_id"]: g["score"] for g in grades} == {ill.id: 10.0, other.id: 0.0}

    outsider = create_learner(session)
    assert client.put(f"{path}/{outsider.id}", json={"due_at": "2025-03-17T00:00Z"}, headers=headers).status_code == 404
    taken = client.delete(f"{path}/{ill.id}", headers=headers)
    assert [(c["username"], c["after"]) for c in taken.json()["changes"]] == [(ill.username, 0.0)]
    assert client.delete(f"{path}/{ill.id}", headers=headers).status_code == 404


def test_instructors_manage_members_and_roles(
    client: TestClient, session: Session, course: tuple[Course, User]
) -> None:
    theirs, instructor = course
    helper = create_learner(session)
    headers = bearer(client, instructor)
    added = client.post(
        f"/api/courses/{theirs.id}/members", json={"username": helper.username, "role": "assistant"}, headers=headers
    )
    assert added.status_code == 201 and added.json()["role"] == "assistant"
    # Assistants are staff of this course only, whatever their account's role.
    assert client.get(f"/api/courses/{theirs.id}/gradebook", headers=bearer(client, helper)).status_code == 200
    assert client.post(
        f"/api/courses/{theirs.id}/members", json={"username": "nobody-here", "role": "learner"}, headers=headers
    ).json() == {"detail": "no user 'nobody-here'"}
    bad_role = client.post(
        f"/api/courses/{theirs.id}/members", json={"username": helper.username, "role": "owner"}, headers=headers
    )
    assert bad_role.status_code == 422 and "role:" in bad_role.json()["message"]
    assert client.delete(f"/api/courses/{theirs.id}/members/{helper.id}", headers=headers).status_code == 204
    assert client.get(f"/api/courses/{theirs.id}/gradebook", headers=bearer(client, helper)).status_code == 403
    old_code = theirs.join_code
    renewed = client.post(f"/api/courses/{theirs.id}/join-code", headers=headers).json()["join_code"]
    assert renewed != old_code
    stale = client.post("/api/courses/join", json={"code": old_code}, headers=bearer(client, helper))
    assert stale.status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/api/courses/0",
        "/api/courses/99999999999",
        "/api/courses/abc/gradebook",
        "/api/courses/1/assignments/-1",
        "/api/submissions/99999999999/feedback",
    ],
)
def test_impossible_ids_are_422_not_500(client: TestClient, session: Session, path: str) -> None:
    instructor = create_learner(session, role=Role.INSTRUCTOR)
    assert client.get(path, headers=bearer(client, instructor)).status_code == 422


def test_signed_out_clients_are_asked_to_sign_in(anonymous: TestClient) -> None:
    assert anonymous.get("/api/courses").status_code == 401
    assert anonymous.post("/api/courses/join", json={"code": "X"}).status_code == 401


WRITE_ROUTES = [
    ("POST", "/api/courses"),
    ("POST", "/api/courses/join"),
    ("POST", "/api/courses/{course}/members"),
    ("POST", "/api/courses/{course}/assignments"),
    ("PATCH", "/api/courses/{course}/assignments/{assignment}"),
    ("PUT", "/api/courses/{course}/assignments/{assignment}/extensions/{learner}"),
    ("POST", "/api/courses/{course}/submissions/{submission}/comments"),
    ("POST", "/api/courses/{course}/feedback"),
]
JUNK: list[dict[str, object]] = [
    {"content": b"\xff\xfe not utf-8", "headers": {"content-type": "application/json"}},
    {"content": b"{", "headers": {"content-type": "application/json"}},
    {"json": []},
    {"json": None},
    {"json": {"due_at": 10**30, "release_at": "9999-99-99", "time_zone": "\x00", "points": "NaN", "line": 2**70}},
    {"json": {"code": "x" * 100, "title": "t" * 500, "body": "", "username": "../../etc", "role": None}},
    {"data": {"title": "a form, not JSON"}},
]


@pytest.mark.parametrize(("method", "template"), WRITE_ROUTES)
def test_junk_bodies_never_reach_a_500(
    client: TestClient, session: Session, course: tuple[Course, User], method: str, template: str
) -> None:
    theirs, instructor = course
    assignment = create_echo_assignment(session, theirs)
    learner = enrol(session, theirs)
    row = graded_submission(session, learner, at=DUE, score=3)
    path = template.format(course=theirs.id, assignment=assignment.id, learner=learner.id, submission=row.id)
    headers = bearer(client, instructor)
    for junk in JUNK:
        extra = dict(junk)
        response = client.request(method, path, headers={**headers, **extra.pop("headers", {})}, **extra)  # type: ignore[arg-type]
        assert response.status_code in (400, 404, 422), (junk, response.status_code, response.text)
        assert response.json().get("detail"), response.text
