"""The course API with modes: an assignment names a lesson and a mode (validated), learners are sent to the
mode's page, the gradebook names each column's mode, and the instructor can delete an assignment."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from course_factories import DUE, create_course_with_staff, enrol, graded_submission
from factories import bearer
from fastapi.testclient import TestClient
from sqlmodel import Session

from grader import Exercise
from tracedojo.assignments import create_assignment, grant_extension
from tracedojo.course_models import Assignment, Course, CourseRole
from tracedojo.models import Submission, User, utcnow


@pytest.fixture
def course(session: Session) -> tuple[Course, User]:
    return create_course_with_staff(session)


def _create(client: TestClient, course: Course, headers: dict[str, str], **body: object) -> dict:  # type: ignore[type-arg]
    payload = {"exercise": "echo-once", "due_at": (utcnow() + timedelta(days=7)).isoformat(), **body}
    response = client.post(f"/api/courses/{course.id}/assignments", json=payload, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_an_assignment_names_its_mode_and_links_the_modes_page(
    client: TestClient, session: Session, course: tuple[Course, User]
) -> None:
    theirs, instructor = course
    staff = bearer(client, instructor)
    parsons = _create(client, theirs, staff, mode="parsons")
    write = _create(client, theirs, staff)  # the same lesson, in the default mode
    assert (parsons["mode"], parsons["url"]) == ("parsons", "/exercises/echo-once/parsons")
    assert (write["mode"], write["url"]) == ("write", "/exercises/echo-once/code")
    predict = _create(client, theirs, staff, mode="predict")
    assert predict["url"] == "/exercises/echo-once/predict"
    quiz = _create(client, theirs, staff, mode="quiz")
    assert quiz["url"] == "/exercises/echo-once#quiz"

    learner = enrol(session, theirs)
    seen = client.get(f"/api/courses/{theirs.id}", headers=bearer(client, learner)).json()["assignments"]
    assert {(a["mode"], a["url"], a["grade"]["mode"]) for a in seen} == {
        ("parsons", "/exercises/echo-once/parsons", "parsons"),
        ("write", "/exercises/echo-once/code", "write"),
        ("predict", "/exercises/echo-once/predict", "predict"),
        ("quiz", "/exercises/echo-once#quiz", "quiz"),
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"mode": "review"}, "mode: 'review' is not a graded mode; choose one of predict, quiz, parsons, blanks, fix"),
        ({"mode": "step"}, "mode: 'step' is not a graded mode"),
        ({"mode": ""}, "mode: '' is not a graded mode"),
        ({"mode": 3}, "mode: Input should be a valid string"),
        ({"mode": "x" * 17}, "mode: String should have at most 16 characters"),
    ],
)
def test_a_bad_mode_is_422_naming_the_field(
    client: TestClient, course: tuple[Course, User], body: dict[str, object], message: str
) -> None:
    theirs, instructor = course
    payload = {"exercise": "echo-once", "due_at": (utcnow() + timedelta(days=7)).isoformat(), **body}
    response = client.post(f"/api/courses/{theirs.id}/assignments", json=payload, headers=bearer(client, instructor))
    assert response.status_code == 422, response.text
    assert message in response.json()["message"]


def test_the_same_lesson_and_mode_twice_is_422(client: TestClient, course: tuple[Course, User]) -> None:
    theirs, instructor = course
    staff = bearer(client, instructor)
    first = _create(client, theirs, staff, mode="fix")
    payload = {"exercise": "echo-once", "mode": "fix", "due_at": (utcnow() + timedelta(days=7)).isoformat()}
    again = client.post(f"/api/courses/{theirs.id}/assignments", json=payload, headers=staff)
    assert again.status_code == 422
    assert f"'echo-once' in mode 'fix' is already assignment {first['id']}" in again.json()["detail"]


def test_editing_the_mode_recomputes_grades_and_a_bad_one_is_422(
    client: TestClient, session: Session, course: tuple[Course, User]
) -> None:
    theirs, instructor = course
    staff = bearer(client, instructor)
    made = _create(client, theirs, staff, mode="fix", release_at=(DUE - timedelta(days=7)).isoformat())
    learner = enrol(session, theirs)
    graded_submission(session, learner, at=utcnow() - timedelta(minutes=5), score=7)  # written code
    url = f"/api/courses/{theirs.id}/assignments/{made['id']}"
    changed = client.patch(url, json={"mode": "write"}, headers=staff)
    assert changed.status_code == 200, changed.text
    report = changed.json()
    assert report["what"] == "mode fix → write" and report["changed"] == 1
    assert (report["changes"][0]["before"], report["changes"][0]["after"]) == (0.0, 10.0)
    assert client.get(url, headers=staff).json()["mode"] == "write"

    bad = client.patch(url, json={"mode": "read"}, headers=staff)
    assert bad.status_code == 422 and "mode: 'read' is not a graded mode" in bad.json()["message"]
    nothing = client.patch(url, json={"time_zone": "UTC"}, headers=staff)
    assert nothing.status_code == 422 and "send mode, points" in nothing.json()["message"]


def test_the_gradebook_names_each_columns_mode(
    client: TestClient, session: Session, course: tuple[Course, User]
) -> None:
    theirs, instructor = course
    assert theirs.id is not None
    for mode in ("write", "blanks"):
        create_assignment(
            session,
            course_id=theirs.id,
            exercise_slug="echo-once",
            points=10,
            release_at=DUE - timedelta(days=7),
            due_at=DUE,
            mode=mode,
        )
    learner = enrol(session, theirs)
    graded_submission(session, learner, at=DUE - timedelta(hours=1), score=7)
    staff = bearer(client, instructor)
    book = client.get(f"/api/courses/{theirs.id}/gradebook", headers=staff).json()
    modes = {c["id"]: c["mode"] for c in book["assignments"]}
    assert sorted(modes.values()) == ["blanks", "write"]
    (row,) = book["rows"]
    assert {modes[int(aid)]: (g["score"], g["state"]) for aid, g in row["grades"].items()} == {
        "write": (10.0, "on_time"),
        "blanks": (0.0, "missing"),
    }
    rows = list(csv.DictReader(io.StringIO(client.get(f"/api/courses/{theirs.id}/gradebook.csv", headers=staff).text)))
    assert (rows[0]["echo-once score"], rows[0]["echo-once (blanks) score"]) == ("10", "0")
    assert rows[0]["echo-once (blanks) state"] == "missing"


def test_a_quiz_assignment_is_graded_from_first_answers_through_the_api(
    client: TestClient, session: Session, course: tuple[Course, User], echo_once: Exercise
) -> None:
    theirs, instructor = course
    made = _create(client, theirs, bearer(client, instructor), mode="quiz", points=len(echo_once.quiz))
    learner = enrol(session, theirs)
    mine = bearer(client, learner)
    first, second = echo_once.quiz[0], echo_once.quiz[1]
    wrong = next(c for c in second.choices if c != second.answer)
    for question, choice in ((first, first.answer), (second, wrong), (second, second.answer)):
        answer = client.post(f"/api/exercises/echo-once/quiz/{question.id}", json={"choice": choice}, headers=mine)
        assert answer.status_code == 200, answer.text
    grade = client.get(f"/api/courses/{theirs.id}/assignments/{made['id']}", headers=mine).json()["grade"]
    assert (grade["mode"], grade["score"], grade["state"]) == ("quiz", 1.0, "on_time")


def test_the_instructor_deletes_an_assignment_and_the_work_stays(
    client: TestClient, session: Session, course: tuple[Course, User]
) -> None:
    theirs, instructor = course
    staff = bearer(client, instructor)
    made = _create(client, theirs, staff, release_at=(DUE - timedelta(days=7)).isoformat())
    learner = enrol(session, theirs)
    work = graded_submission(session, learner, at=utcnow() - timedelta(minutes=1), score=7)
    grant_extension(
        session,
        assignment=session.get_one(Assignment, made["id"]),
        user_id=learner.id or 0,
        due_at=utcnow() + timedelta(days=9),
        late_until=None,
        granted_by=instructor.id,
    )
    url = f"/api/courses/{theirs.id}/assignments/{made['id']}"
    gone = client.delete(url, headers=staff)
    assert gone.status_code == 204, gone.text
    assert client.get(url, headers=staff).status_code == 404
    assert client.delete(url, headers=staff).status_code == 404
    assert client.get(f"/api/courses/{theirs.id}", headers=staff).json()["assignments"] == []
    assert client.get(f"/api/courses/{theirs.id}/gradebook", headers=staff).json()["assignments"] == []
    session.expire_all()
    assert session.get(Submission, work.id) is not None
    mine = client.get(f"/api/submissions/{work.id}", headers=bearer(client, learner))
    assert mine.status_code == 200 and mine.json()["score"] == 7


def test_only_the_courses_instructor_deletes_and_another_courses_assignment_is_404(
    client: TestClient, session: Session, course: tuple[Course, User]
) -> None:
    theirs, instructor = course
    made = _create(client, theirs, bearer(client, instructor), mode="predict")
    url = f"/api/courses/{theirs.id}/assignments/{made['id']}"
    assistant = enrol(session, theirs, role=CourseRole.ASSISTANT)
    learner = enrol(session, theirs)
    assert client.delete(url, headers=bearer(client, assistant)).status_code == 403
    assert client.delete(url, headers=bearer(client, learner)).status_code == 403

    other, other_teacher = create_course_with_staff(session, title="Another class")
    elsewhere = bearer(client, other_teacher)
    assert client.delete(url, headers=elsewhere).status_code == 404
    # Its own course id with the other course's assignment id: still nobody's to delete.
    crossed = client.delete(f"/api/courses/{other.id}/assignments/{made['id']}", headers=elsewhere)
    assert crossed.status_code == 404 and f"no assignment {made['id']} in course {other.id}" in crossed.json()["detail"]
    patched = client.patch(
        f"/api/courses/{other.id}/assignments/{made['id']}", json={"mode": "quiz"}, headers=elsewhere
    )
    assert patched.status_code == 404
    assert client.get(url, headers=bearer(client, instructor)).json()["mode"] == "predict"
    assert (
        client.delete(f"/api/courses/{theirs.id}/assignments/0", headers=bearer(client, instructor)).status_code == 422
    )
