"""The course pages with a signed-in browser (cookie and CSRF): create, join, set a lesson, dates, comments."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from course_factories import DUE, create_course_with_staff, create_echo_assignment, enrol, graded_submission
from factories import create_learner
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from test_pages import csrf_of, sign_in

from tracedojo.assignments import create_assignment
from tracedojo.course_models import Assignment, CourseRole
from tracedojo.models import Role


def _browser(client: TestClient) -> TestClient:
    return TestClient(client.app)


def test_an_instructor_creates_a_course_and_sets_a_lesson_in_their_zone(client: TestClient, session: Session) -> None:
    browser = _browser(client)
    teacher = create_learner(session, role=Role.INSTRUCTOR)
    sign_in(browser, teacher)
    listing = browser.get("/courses")
    made = browser.post(
        "/courses", data={"title": "Thursday lab", "csrf_token": csrf_of(listing)}, follow_redirects=False
    )
    assert made.status_code == 303
    course_path = made.headers["location"]
    page = browser.get(course_path)
    assert "Thursday lab" in page.text and 'id="join-code"' in page.text

    created = browser.post(
        f"{course_path}/assignments",
        data={
            "csrf_token": csrf_of(page),
            "exercise": "echo-once",
            "points": "10",
            "release_at": "",
            "due_at": "2031-07-01T09:30",
            "late_until": "",
            "late_credit": "0.5",
            "time_zone": "Asia/Kolkata",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    assignment_page = browser.get(created.headers["location"])
    # 09:30 in India (UTC+5:30) is 04:00 UTC; the page sends UTC, the script shows it locally.
    assert '<time datetime="2031-07-01T04:00:00Z" data-local>2031-07-01 04:00 UTC</time>' in assignment_page.text


def test_a_bad_form_is_shown_again_with_the_reason(client: TestClient, session: Session) -> None:
    browser = _browser(client)
    course, teacher = create_course_with_staff(session)
    sign_in(browser, teacher)
    page = browser.get(f"/courses/{course.id}")
    response = browser.post(
        f"/courses/{course.id}/assignments",
        data={
            "csrf_token": csrf_of(page),
            "exercise": "echo-once",
            "due_at": "2031-07-01T09:30",
            "time_zone": "Atlantis",
        },
    )
    assert response.status_code == 400
    assert "time_zone: &#39;Atlantis&#39; is not a known time zone" in response.text
    missing = browser.post(
        f"/courses/{course.id}/assignments", data={"csrf_token": csrf_of(page), "exercise": "echo-once"}
    )
    assert missing.status_code == 400 and "due_at: Input should be a valid datetime" in missing.text
    forged = browser.post(f"/courses/{course.id}/assignments", data={"csrf_token": "nope", "exercise": "echo-once"})
    assert forged.status_code == 403


def test_a_learner_joins_with_the_code_and_sees_the_due_date(client: TestClient, session: Session) -> None:
    course, _ = create_course_with_staff(session)
    create_assignment(
        session,
        course_id=course.id or 0,
        exercise_slug="echo-once",
        points=10,
        release_at=datetime.now(UTC) - timedelta(days=1),
        due_at=datetime(2031, 1, 2, 3, 4, tzinfo=UTC),
    )
    browser = _browser(client)
    learner = create_learner(session)
    sign_in(browser, learner)
    listing = browser.get("/courses")
    wrong = browser.post("/courses/join", data={"code": "NOTACODE", "csrf_token": csrf_of(listing)})
    assert wrong.status_code == 404 and "No course has the join code" in wrong.text
    joined = browser.post(
        "/courses/join", data={"code": course.join_code.lower(), "csrf_token": csrf_of(listing)}, follow_redirects=False
    )
    assert joined.headers["location"] == f"/courses/{course.id}"
    page = browser.get(f"/courses/{course.id}")
    assert '<time datetime="2031-01-02T03:04:00Z" data-local>2031-01-02 03:04 UTC</time>' in page.text
    assert course.join_code not in page.text  # the code is for staff to hand out
    assert "Set a lesson" not in page.text
    home = browser.get("/")
    assert f'href="/courses/{course.id}"' in home.text


def test_course_pages_are_scoped_like_the_api(client: TestClient, session: Session) -> None:
    course, _ = create_course_with_staff(session)
    assignment = create_echo_assignment(session, course)
    _, other_teacher = create_course_with_staff(session, title="Other")
    member = enrol(session, course)
    row = graded_submission(session, member, at=DUE, score=3)
    outsider_staff, learner = _browser(client), _browser(client)
    sign_in(outsider_staff, other_teacher)
    sign_in(learner, member)
    for path in (
        f"/courses/{course.id}",
        f"/courses/{course.id}/gradebook",
        f"/courses/{course.id}/assignments/{assignment.id}",
        f"/courses/{course.id}/submissions/{row.id}",
    ):
        assert outsider_staff.get(path).status_code == 404, path
    assert learner.get(f"/courses/{course.id}/gradebook").status_code == 403
    assert learner.get(f"/courses/{course.id}/submissions/{row.id}").status_code == 403
    assert _browser(client).get(f"/courses/{course.id}", follow_redirects=False).status_code == 303


def test_moving_a_due_date_on_the_page_lists_the_changed_grades(client: TestClient, session: Session) -> None:
    course, teacher = create_course_with_staff(session)
    assignment = create_echo_assignment(session, course, late_days=None)
    late = enrol(session, course)
    graded_submission(session, late, at=DUE + timedelta(hours=1), score=7)
    browser = _browser(client)
    sign_in(browser, teacher)
    page = browser.get(f"/courses/{course.id}/assignments/{assignment.id}")
    response = browser.post(
        f"/courses/{course.id}/assignments/{assignment.id}",
        data={
            "csrf_token": csrf_of(page),
            "points": "10",
            "release_at": "2025-03-07T23:59",
            "due_at": "2025-03-15T02:00",
            "late_until": "",
            "late_credit": "0.5",  # as the form shows it
            "time_zone": "UTC",
        },
    )
    assert response.status_code == 200, response.text
    changes = response.text[response.text.index('id="changes"') :]
    assert "due 2025-03-14 23:59 UTC → 2025-03-15 02:00 UTC — 1 grade changed" in changes
    assert re.search(rf"<td>{late.username}</td><td>0 \(missing\)</td><td>10 \(on_time\)</td>", changes)
    session.expire_all()
    stored = session.exec(select(Assignment).where(Assignment.id == assignment.id)).one()
    assert stored.due_at == datetime(2025, 3, 15, 2, 0, tzinfo=UTC)


def test_a_comment_reaches_the_learners_home_and_result_page(client: TestClient, session: Session) -> None:
    course, _ = create_course_with_staff(session)
    assistant = enrol(session, course, role=CourseRole.ASSISTANT)
    member = enrol(session, course)
    row = graded_submission(session, member, at=datetime.now(UTC), score=3)
    staff = _browser(client)
    sign_in(staff, assistant)
    page = staff.get(f"/courses/{course.id}/submissions/{row.id}")
    assert page.status_code == 200
    made = staff.post(
        f"/courses/{course.id}/submissions/{row.id}/comments",
        data={"csrf_token": csrf_of(page), "line": "2", "body": "<b>await</b> the accept"},
        follow_redirects=False,
    )
    assert made.status_code == 303
    too_far = staff.post(
        f"/courses/{course.id}/submissions/{row.id}/comments",
        data={"csrf_token": csrf_of(page), "line": "99", "body": "x"},
    )
    assert too_far.status_code == 400 and "line: the submission has lines 1 to 3, not 99" in too_far.text

    learner = _browser(client)
    sign_in(learner, member)
    home = learner.get("/")
    assert 'id="new-feedback"' in home.text and f'href="/submissions/{row.id}#comments"' in home.text
    result = learner.get(f"/submissions/{row.id}")
    assert "Line 2" in result.text and "&lt;b&gt;await&lt;/b&gt; the accept" in result.text
    assert 'id="new-feedback"' not in learner.get("/").text  # read now


def test_the_course_gradebook_page(client: TestClient, session: Session) -> None:
    course, teacher = create_course_with_staff(session)
    create_echo_assignment(session, course)
    member = enrol(session, course)
    graded_submission(session, member, at=DUE - timedelta(days=1), score=7)
    browser = _browser(client)
    sign_in(browser, teacher)
    page = browser.get(f"/courses/{course.id}/gradebook")
    assert page.status_code == 200
    assert member.username in page.text and "On time" in page.text
    assert f'href="/api/courses/{course.id}/gradebook.csv"' in page.text
    exported = browser.get(f"/api/courses/{course.id}/gradebook.csv")
    assert exported.status_code == 200 and member.username in exported.text


def test_course_ids_that_cannot_exist_are_refused_not_500(client: TestClient, session: Session) -> None:
    browser = _browser(client)
    sign_in(browser, create_learner(session))
    assert browser.get("/courses/99999999999").status_code == 422
    assert browser.get("/courses/nope").status_code == 422


def test_a_course_submission_page_replays_the_run_like_the_learners_page(client: TestClient, session: Session) -> None:
    course, teacher = create_course_with_staff(session)
    member = enrol(session, course)
    steps: list[dict[str, Any]] = [
        {
            "n": 1,
            "title": "Client connects to /ws",
            "status": "passed",
            "frames": [{"client": "client", "direction": "to_server", "type": "connect", "payload": "/ws"}],
        },
        {
            "n": 2,
            "title": "Server calls websocket.accept()",
            "status": "failed",
            "expected": "the server accepts",
            "actual": "`NameError` at line 2",
            "message": "Expected the server accepts, but received `NameError` at line 2. Define the name first.",
            "paused_line": 2,
        },
    ]
    row = graded_submission(session, member, at=DUE, score=1, steps=steps)
    staff = _browser(client)
    sign_in(staff, teacher)
    page = staff.get(f"/courses/{course.id}/submissions/{row.id}")
    assert page.status_code == 200
    assert 'data-stepper="replay-data"' in page.text and 'id="replay-data"' in page.text
    assert "/static/build/stepper.js" in page.text
    # Inline code as code, and the message's restatement of expected and actual said once.
    shown = re.sub(r'<script type="application/json".*?</script>', "", page.text, flags=re.DOTALL)
    assert "<code>NameError</code> at line 2" in shown and "`NameError`" not in shown
    assert shown.count("Define the name first.") == 1 and "but received" not in shown
