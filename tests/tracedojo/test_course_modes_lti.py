"""LTI with modes against the real test platform over HTTP: the lesson picker offers lesson and mode, a
launch opens the mode's page, the mode's grade goes back to the LMS, and a deleted assignment's link
answers a clear 404."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Iterator

import pytest
from lti_platform import INSTRUCTOR, LEARNER, LmsUser, Message, drive_launch
from lti_setup import LtiSetup, csrf_of, lti_tool
from sqlmodel import Session, select

from tracedojo.assignments import delete_assignment
from tracedojo.course_models import Assignment
from tracedojo.lessons import Catalog
from tracedojo.lti.due import ASSIGNMENT_DELETED
from tracedojo.lti.models import LtiGradeSync, LtiResourceLink, LtiUser, SyncStatus
from tracedojo.settings import PROJECT_ROOT

ECHO = Catalog.load(PROJECT_ROOT / "exercises").get("echo-once")
assert ECHO is not None


@pytest.fixture(scope="module")
def lti(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LtiSetup]:
    with lti_tool(tmp_path_factory.mktemp("lti-modes"), lti_retry_seconds=60.0) as setup:
        yield setup


def person(roles: list[str]) -> LmsUser:
    sub = "lms-" + secrets.token_hex(4)
    return LmsUser(sub=sub, name="Mary Jackson", email=f"{sub}@school.example", roles=roles)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def link_assignment(lti: LtiSetup, link_id: str) -> Assignment | None:
    with Session(lti.engine, expire_on_commit=False) as session:
        link = session.exec(select(LtiResourceLink).where(LtiResourceLink.resource_link_id == link_id)).one()
        return session.get(Assignment, link.assignment_id) if link.assignment_id is not None else None


def test_the_picker_offers_lesson_and_mode_and_the_link_opens_that_mode(lti: LtiSetup) -> None:
    teacher = person([INSTRUCTOR])
    with lti.browser() as browser:
        picker = drive_launch(browser, lti.lms, Message(user=teacher, message_type="LtiDeepLinkingRequest"))
        assert picker.status_code == 200, picker.text
        assert '<select id="mode" name="mode" aria-describedby="mode-help">' in picker.text
        assert '<option value="parsons">Parsons puzzle — best graded attempt</option>' in picker.text
        launch_id = re.search(r'name="launch_id" value="([^"]+)"', picker.text)
        assert launch_id
        fields = {"csrf_token": csrf_of(picker.text), "launch_id": launch_id[1], "lesson": "echo-once"}
        bad = browser.post(f"{lti.tool_url}/lti/deep-link", data={**fields, "mode": "review"})
        assert bad.status_code == 422
        assert "There is no graded mode &#39;review&#39;; pick one of the list" in bad.text
        chosen = browser.post(f"{lti.tool_url}/lti/deep-link", data={**fields, "mode": "parsons"})
        assert chosen.status_code == 200, chosen.text
        token = re.search(r'name="JWT" value="([^"]+)"', chosen.text)
        assert token
        assert browser.post(f"{lti.lms.url}/deep-link-return", data={"JWT": token[1]}).status_code == 200

    (item,) = lti.lms.deep_link_returns[-1]["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
    assert item["custom"] == {"lesson": "echo-once", "mode": "parsons"}
    assert item["title"] == f"{ECHO.title}: Parsons puzzle"
    assert item["lineItem"]["resourceId"] == "echo-once/parsons"

    learner = person([LEARNER])
    with lti.browser() as browser:
        opened = drive_launch(
            browser, lti.lms, Message(user=learner, resource_link_id="parsons-link", custom=item["custom"])
        )
        assert opened.status_code == 303, opened.text
        assert opened.headers["location"] == "/exercises/echo-once/parsons"
        assert browser.get(lti.tool_url + opened.headers["location"]).status_code == 200
    assignment = link_assignment(lti, "parsons-link")
    assert assignment is not None and (assignment.exercise_slug, assignment.mode) == ("echo-once", "parsons")

    with lti.browser() as browser:  # the instructor's launch of the same link shows its grades instead
        staff = drive_launch(
            browser, lti.lms, Message(user=teacher, resource_link_id="parsons-link", custom=item["custom"])
        )
        assert staff.headers["location"] == f"/courses/{assignment.course_id}/assignments/{assignment.id}"


def test_an_unknown_mode_on_a_link_is_refused_by_name(lti: LtiSetup) -> None:
    with lti.browser() as browser:
        answer = drive_launch(
            browser,
            lti.lms,
            Message(
                user=person([LEARNER]), resource_link_id="odd-link", custom={"lesson": "echo-once", "mode": "dance"}
            ),
        )
        assert answer.status_code == 404
        assert "This LMS link asks for the mode &#39;dance&#39;; tracedojo grades predict, quiz" in answer.text


def test_a_quiz_links_grade_goes_back_from_first_answers(lti: LtiSetup) -> None:
    learner = person([LEARNER])
    custom = {"lesson": "echo-once", "mode": "quiz"}
    with lti.browser() as browser:
        opened = drive_launch(browser, lti.lms, Message(user=learner, resource_link_id="quiz-link", custom=custom))
        assert opened.headers["location"] == "/exercises/echo-once#quiz"
        page = browser.get(f"{lti.tool_url}/exercises/echo-once")
        headers = {"X-CSRF-Token": csrf_of(page.text)}
        question = ECHO.quiz[0]
        answered = browser.post(
            f"{lti.tool_url}/api/exercises/echo-once/quiz/{question.id}",
            json={"choice": question.answer},
            headers=headers,
        )
        assert answered.status_code == 200, answered.text

    def sent() -> list[dict[str, object]]:
        return [s for s in lti.lms.scores if s["userId"] == learner.sub and s["lineitem"] == "quiz-link"]

    wait_for(lambda: len(sent()) == 1, "the quiz score at the LMS")
    (score,) = sent()
    assert score["scoreMaximum"] == 10.0
    assert score["scoreGiven"] == pytest.approx(round(10.0 / len(ECHO.quiz), 4))


def test_a_deleted_assignments_link_answers_404_and_its_grades_stop(lti: LtiSetup) -> None:
    learner = person([LEARNER])
    custom = {"lesson": "echo-once", "mode": "fix"}
    with lti.browser() as browser:
        first = drive_launch(browser, lti.lms, Message(user=learner, resource_link_id="fix-link", custom=custom))
        assert first.status_code == 303 and first.headers["location"] == "/exercises/echo-once/fix"
    assignment = link_assignment(lti, "fix-link")
    assert assignment is not None
    with Session(lti.engine) as session:
        link = session.exec(select(LtiResourceLink).where(LtiResourceLink.resource_link_id == "fix-link")).one()
        lms_user = session.exec(select(LtiUser).where(LtiUser.sub == learner.sub)).one()
        assert link.id is not None and lms_user.id is not None
        pending = LtiGradeSync(resource_link_id=link.id, lti_user_id=lms_user.id, status=SyncStatus.PENDING)
        session.add(pending)
        session.commit()
        session.refresh(pending)
        delete_assignment(session, assignment=session.get_one(Assignment, assignment.id))
        session.refresh(pending)
        assert (pending.status, pending.last_error) == (SyncStatus.FAILED, ASSIGNMENT_DELETED)

    with lti.browser() as browser:
        again = drive_launch(browser, lti.lms, Message(user=learner, resource_link_id="fix-link", custom=custom))
        assert again.status_code == 404, again.text
        assert "The tracedojo assignment this LMS link opened was deleted by the course&#39;s instructor" in again.text
    assert link_assignment(lti, "fix-link") is None  # not made again by the launch
