"""Course pages with modes: the mode select when setting a lesson, the mode's page linked for learners,
deleting an assignment through its confirmation step; and the same from the command line."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import typer
from course_factories import DUE, create_course_with_staff, enrol, graded_submission
from factories import create_learner
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from test_pages import csrf_of, sign_in
from typer.testing import CliRunner

from tracedojo.assignments import create_assignment
from tracedojo.cli_platform import register
from tracedojo.course_models import Assignment, Course
from tracedojo.db import make_engine, migrate
from tracedojo.models import Role, Submission, utcnow


def _browser(client: TestClient) -> TestClient:
    return TestClient(client.app)


def _assignment(session: Session, course: Course, mode: str) -> Assignment:
    assert course.id is not None
    return create_assignment(
        session,
        course_id=course.id,
        exercise_slug="echo-once",
        points=10,
        release_at=DUE - timedelta(days=7),
        due_at=utcnow() + timedelta(days=7),
        mode=mode,
    )


def test_the_instructor_sets_a_lesson_in_a_mode_from_the_select(client: TestClient, session: Session) -> None:
    browser = _browser(client)
    course, teacher = create_course_with_staff(session)
    sign_in(browser, teacher)
    page = browser.get(f"/courses/{course.id}")
    assert '<select id="mode" name="mode" aria-describedby="mode-help">' in page.text
    assert '<option value="write" selected>Write it — best graded submission</option>' in page.text
    fields = {"csrf_token": csrf_of(page), "exercise": "echo-once", "due_at": "2031-07-01T09:30"}
    bad = browser.post(f"/courses/{course.id}/assignments", data={**fields, "mode": "review"})
    assert bad.status_code == 400
    assert "mode: &#39;review&#39; is not a graded mode" in bad.text
    assert '<option value="review"' not in bad.text

    made = browser.post(f"/courses/{course.id}/assignments", data={**fields, "mode": "blanks"}, follow_redirects=False)
    assert made.status_code == 303, made.text
    shown = browser.get(made.headers["location"])
    assert '<dd id="mode-name">Fill in the blanks</dd>' in shown.text
    assert 'id="mode-link" href="/exercises/echo-once/blanks">Open Fill in the blanks</a>' in shown.text
    assert '<option value="blanks" selected>' in shown.text  # the edit form starts at its mode


def test_a_learner_is_sent_to_the_modes_page(client: TestClient, session: Session) -> None:
    course, _ = create_course_with_staff(session)
    fix = _assignment(session, course, "fix")
    learner = enrol(session, course)
    browser = _browser(client)
    sign_in(browser, learner)
    listing = browser.get(f"/courses/{course.id}")
    assert (
        'href="/exercises/echo-once/fix" aria-label="Fix the bug in WebSocket endpoint creation in FastAPI">'
        "Fix the bug</a>" in listing.text
    )
    page = browser.get(f"/courses/{course.id}/assignments/{fix.id}")
    assert 'id="mode-link" href="/exercises/echo-once/fix">Open Fix the bug</a>' in page.text
    assert "Delete assignment" not in page.text
    assert browser.get(f"/courses/{course.id}/assignments/{fix.id}/delete").status_code == 403


def test_deleting_goes_through_a_confirmation_step(client: TestClient, session: Session) -> None:
    course, teacher = create_course_with_staff(session)
    parsons = _assignment(session, course, "parsons")
    learner = enrol(session, course)
    work = graded_submission(session, learner, at=utcnow() - timedelta(minutes=1), score=7)
    browser = _browser(client)
    sign_in(browser, teacher)
    page = browser.get(f"/courses/{course.id}/assignments/{parsons.id}")
    link = f'href="/courses/{course.id}/assignments/{parsons.id}/delete">Delete assignment…</a>'
    assert link in page.text
    confirm = browser.get(f"/courses/{course.id}/assignments/{parsons.id}/delete")
    assert confirm.status_code == 200
    assert "Delete the assignment WebSocket endpoint creation in FastAPI (Parsons puzzle)?" in confirm.text
    assert "Every learner's work stays, as practice." in confirm.text
    url = f"/courses/{course.id}/assignments/{parsons.id}/delete"
    course_id, parsons_id, work_id = course.id, parsons.id, work.id

    unconfirmed = browser.post(url, data={"csrf_token": csrf_of(confirm)}, follow_redirects=False)
    assert unconfirmed.status_code == 303 and unconfirmed.headers["location"] == url
    assert session.get(Assignment, parsons.id) is not None
    forged = browser.post(url, data={"confirm": "delete"})  # no CSRF token: refused
    assert forged.status_code == 403

    done = browser.post(url, data={"csrf_token": csrf_of(confirm), "confirm": "delete"})
    assert done.status_code == 200
    assert (
        "Deleted the assignment WebSocket endpoint creation in FastAPI (Parsons puzzle). "
        "Its learners&#39; work is kept as practice." in done.text
    )
    session.expire_all()
    assert session.get(Assignment, parsons_id) is None and session.get(Submission, work_id) is not None
    assert browser.get(f"/courses/{course_id}/assignments/{parsons_id}").status_code == 404

    other, _ = create_course_with_staff(session, title="Another class")
    theirs = _assignment(session, other, "fix")
    stranger = _browser(client)
    sign_in(stranger, teacher)
    assert stranger.get(f"/courses/{other.id}/assignments/{theirs.id}/delete").status_code == 404


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    monkeypatch.setenv("TRACEDOJO_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("TRACEDOJO_SECRET_KEY", "a-secret-key-long-enough-for-the-settings-check")
    app = typer.Typer()
    register(app)
    return app


def test_assign_with_a_mode_and_unassign_from_the_command_line(cli: typer.Typer, tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    migrate(engine)
    with Session(engine) as session:
        teacher = create_learner(session, role=Role.INSTRUCTOR).username
    runner = CliRunner()
    made = runner.invoke(cli, ["courses", "create", "Lab", "--instructor", teacher])
    course_id = re.search(r"created course (\d+)", made.output)[1]  # type: ignore[index]

    assigned = runner.invoke(
        cli, ["courses", "assign", course_id, "echo-once", "--due", "2031-03-14T23:59", "--mode", "parsons"]
    )
    assert assigned.exit_code == 0, assigned.output
    found = re.search(
        r"assignment (\d+): echo-once \(parsons\) in course \d+, due 2031-03-14 23:59 UTC", assigned.output
    )
    assert found, assigned.output
    twice = runner.invoke(
        cli, ["courses", "assign", course_id, "echo-once", "--due", "2031-03-14T23:59", "--mode", "parsons"]
    )
    assert twice.exit_code == 2 and "in mode 'parsons' is already assignment" in twice.output
    bad = runner.invoke(
        cli, ["courses", "assign", course_id, "echo-once", "--due", "2031-03-14T23:59", "--mode", "read"]
    )
    assert bad.exit_code == 2 and "--mode: 'read' is not a graded mode; choose one of predict" in bad.output

    listed = runner.invoke(cli, ["courses", "assignments", course_id])
    assert listed.exit_code == 0 and "parsons" in listed.output
    book = runner.invoke(cli, ["courses", "gradebook", course_id, "--csv"])
    assert book.exit_code == 0 and "echo-once (parsons) score" in book.output

    gone = runner.invoke(cli, ["courses", "unassign", course_id, found[1]])
    assert gone.exit_code == 0, gone.output
    assert f"deleted assignment {found[1]}: echo-once (parsons) in course {course_id}" in gone.output
    again = runner.invoke(cli, ["courses", "unassign", course_id, found[1]])
    assert again.exit_code == 2 and f"no assignment {found[1]} in course {course_id}" in again.output
    with Session(engine) as session:
        assert session.exec(select(Assignment)).all() == []
    engine.dispose()
