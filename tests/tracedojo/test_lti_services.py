"""LTI Advantage services against a real platform over HTTP: the roster (NRPS), scores going back after
real graded submissions (AGS, with failure, backoff and the instructor's retry), and key rotation."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx2 as httpx
import pytest
import typer
from lti_platform import INSTRUCTOR, LEARNER, TEACHING_ASSISTANT, LmsUser, LtiTestPlatform, Message, drive_launch
from lti_setup import LtiSetup, csrf_of, lti_tool
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from tracedojo.assignments import update_dates
from tracedojo.cli_platform import register
from tracedojo.course_models import Assignment, CourseMember, CourseRole, Enrolment
from tracedojo.courses import add_member
from tracedojo.db import make_engine, migrate
from tracedojo.lessons import Catalog
from tracedojo.lti import keys
from tracedojo.lti.adapter import PlatformHttp
from tracedojo.lti.launches import lms_context, open_resource_link
from tracedojo.lti.models import LtiContext, LtiGradeSync, LtiPlatform, LtiResourceLink, LtiUser, SyncStatus
from tracedojo.lti.passback import RetryPolicy, retry, schedule, send_due
from tracedojo.lti.people import LmsPerson, lms_account
from tracedojo.lti.registry import register_platform
from tracedojo.models import Submission, SubmissionStatus, utcnow
from tracedojo.settings import PROJECT_ROOT

SOLUTION = (PROJECT_ROOT / "exercises" / "echo-once" / "solution.py").read_text()
WRONG = (PROJECT_ROOT / "exercises" / "echo-once" / "wrong" / "wrong_text.py").read_text()


@pytest.fixture(scope="module")
def lti(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LtiSetup]:
    # Automatic retries wait a minute here: the retry a test sees is the instructor's button.
    with lti_tool(tmp_path_factory.mktemp("lti-services"), lti_retry_seconds=60.0) as setup:
        yield setup


def person(roles: list[str], name: str = "Katherine Johnson") -> LmsUser:
    sub = "lms-" + secrets.token_hex(4)
    return LmsUser(sub=sub, name=name, email=f"{name.split()[0].lower()}.{sub}@school.example", roles=roles)


@contextmanager
def launched(lti: LtiSetup, user: LmsUser, link: str = "link-1") -> Iterator[httpx.Client]:
    """A browser signed in by launching the LMS link to the echo lesson."""
    with lti.browser() as browser:
        answer = drive_launch(
            browser, lti.lms, Message(user=user, resource_link_id=link, custom={"lesson": "echo-once"})
        )
        assert answer.status_code == 303, answer.text
        yield browser


def course_id(lti: LtiSetup) -> int:
    with Session(lti.engine) as session:
        context = session.exec(select(LtiContext).where(LtiContext.context_id == lti.lms.context_id)).one()
        assert context.course_id is not None
        return context.course_id


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 45.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def submit(lti: LtiSetup, browser: httpx.Client, code: str) -> dict[str, object]:
    """A real submission through the lesson page, graded in the sandbox; returns the result."""
    page = browser.get(f"{lti.tool_url}/exercises/echo-once")
    assert page.status_code == 200, page.text
    sent = browser.post(
        f"{lti.tool_url}/exercises/echo-once/code", data={"csrf_token": csrf_of(page.text), "code": code}
    )
    assert sent.status_code == 303, sent.text
    submission_id = sent.headers["location"].rsplit("/", 1)[1]
    result: dict[str, object] = {}

    def graded() -> bool:
        result.update(browser.get(f"{lti.tool_url}/api/submissions/{submission_id}").json())
        return result["status"] not in ("queued", "running")

    wait_for(graded, f"submission {submission_id} to be graded", timeout=60)
    return result


def sync_of(lti: LtiSetup, user: LmsUser) -> LtiGradeSync | None:
    with Session(lti.engine) as session:
        return session.exec(
            select(LtiGradeSync).join(LtiUser, LtiUser.id == LtiGradeSync.lti_user_id).where(LtiUser.sub == user.sub)  # type: ignore[arg-type]
        ).first()


def scores_for(lms: LtiTestPlatform, user: LmsUser) -> list[dict[str, object]]:
    return [score for score in lms.scores if score["userId"] == user.sub]


def test_the_best_score_goes_back_after_each_graded_submission(lti: LtiSetup) -> None:
    learner = person([LEARNER])
    with launched(lti, learner) as browser:
        assert submit(lti, browser, SOLUTION)["status"] == "passed"
        wait_for(lambda: len(scores_for(lti.lms, learner)) == 1, "the score at the LMS")
        (score,) = scores_for(lti.lms, learner)
        assert score["lineitem"] == "link-1"
        assert (score["scoreGiven"], score["scoreMaximum"]) == (10.0, 10.0)
        assert (score["activityProgress"], score["gradingProgress"]) == ("Completed", "FullyGraded")
        wait_for(lambda: (s := sync_of(lti, learner)) is not None and s.status == SyncStatus.SENT, "status sent")

        # A worse attempt later changes nothing at the LMS: the best score stands and is not sent twice.
        assert submit(lti, browser, WRONG)["status"] == "failed"
        wait_for(
            lambda: (s := sync_of(lti, learner)) is not None and s.generation == 2 and s.status == SyncStatus.SENT,
            "the second grading to be settled",
        )
        assert len(scores_for(lti.lms, learner)) == 1
    # The access token came from the platform's token endpoint, for a JWT it verified with the tool's JWKS.
    assert any("https://purl.imsglobal.org/spec/lti-ags/scope/score" in r["scopes"] for r in lti.lms.token_requests)

    # The instructor moves the due date before the work: it is practice now, and the LMS learns the new grade.
    with Session(lti.engine, expire_on_commit=False) as session:
        sync = sync_of(lti, learner)
        assert sync is not None
        link = session.get(LtiResourceLink, sync.resource_link_id)
        assignment = session.get(Assignment, link.assignment_id if link else None)
        assert assignment is not None
        change = update_dates(
            session,
            assignment=assignment,
            requested_by=None,
            release_at=utcnow() - timedelta(days=3),
            due_at=utcnow() - timedelta(days=2),
        )
        assert [c["after"] for c in change.changes] == [0.0]
        wait_for(lambda: len(scores_for(lti.lms, learner)) == 2, "the recomputed grade at the LMS")
        assert scores_for(lti.lms, learner)[-1]["scoreGiven"] == 0.0
        update_dates(session, assignment=assignment, requested_by=None, due_at=utcnow() + timedelta(days=365))
        wait_for(lambda: len(scores_for(lti.lms, learner)) == 3, "the grade restored at the LMS")
        assert scores_for(lti.lms, learner)[-1]["scoreGiven"] == 10.0


def test_a_failed_grade_post_is_shown_to_the_instructor_and_retried(lti: LtiSetup) -> None:
    teacher, learner = person([INSTRUCTOR], "Grace Hopper"), person([LEARNER], "Mary Jackson")
    with launched(lti, teacher):
        pass
    lti.lms.fail_next_scores = 1
    with launched(lti, learner) as browser:
        assert submit(lti, browser, SOLUTION)["status"] == "passed"
    wait_for(lambda: (s := sync_of(lti, learner)) is not None and s.attempts == 1, "the first, failed attempt")
    assert scores_for(lti.lms, learner) == []

    with lti.browser() as staff:
        # The instructor signs in through the LMS and opens the course's LMS page.
        answer = drive_launch(staff, lti.lms, Message(user=teacher, custom={"lesson": "echo-once"}))
        assert answer.status_code == 303
        page = staff.get(f"{lti.tool_url}/lti/courses/{course_id(lti)}")
        assert page.status_code == 200
        sync = sync_of(lti, learner)
        assert sync is not None
        row = re.search(rf'<tr data-sync="{sync.id}" data-status="pending">(.*?)</tr>', page.text, re.S)
        assert row, page.text
        assert "Retrying" in row[1] and "the LMS answered HTTP 503" in row[1]
        retried = staff.post(
            f"{lti.tool_url}/lti/courses/{course_id(lti)}/grades/{sync.id}/retry",
            data={"csrf_token": csrf_of(page.text)},
        )
        assert retried.status_code == 303
        wait_for(lambda: len(scores_for(lti.lms, learner)) == 1, "the retried score at the LMS", timeout=10)
        wait_for(lambda: (s := sync_of(lti, learner)) is not None and s.status == SyncStatus.SENT, "status sent")
        after = staff.get(f"{lti.tool_url}/lti/courses/{course_id(lti)}").text
        assert re.search(rf'<tr data-sync="{sync.id}" data-status="sent">.*?✓ Sent.*?10 / 10', after, re.S)

        # A learner of the course is not staff: the retry button is not theirs, another course's row is 404.
        other = staff.post(
            f"{lti.tool_url}/lti/courses/{course_id(lti)}/grades/999999/retry", data={"csrf_token": csrf_of(after)}
        )
        assert other.status_code == 404
    with launched(lti, person([LEARNER])) as browser:
        assert browser.get(f"{lti.tool_url}/lti/courses/{course_id(lti)}").status_code == 403


def test_the_roster_enrols_the_lms_members_with_their_roles(lti: LtiSetup) -> None:
    teacher = person([INSTRUCTOR], "Grace Hopper")
    members = {
        "lms-roster-learner": ([LEARNER], "Active", CourseRole.LEARNER),
        "lms-roster-assistant": ([TEACHING_ASSISTANT], "Active", CourseRole.ASSISTANT),
        "lms-roster-left": ([LEARNER], "Inactive", None),
    }
    lti.lms.members = [
        {"user_id": sub, "roles": roles, "status": status, "name": f"Member {sub}", "email": f"{sub}@school.example"}
        for sub, (roles, status, _) in members.items()
    ]
    with launched(lti, teacher) as browser:
        page = browser.get(f"{lti.tool_url}/lti/courses/{course_id(lti)}")
        fetched = browser.post(
            f"{lti.tool_url}/lti/courses/{course_id(lti)}/roster", data={"csrf_token": csrf_of(page.text)}
        )
        assert fetched.status_code == 200, fetched.text
        assert "2 enrolled, 0 already members (roles updated), 1 inactive left out" in fetched.text
    with Session(lti.engine) as session:
        for sub, (_, _, role) in members.items():
            found = session.exec(
                select(CourseMember)
                .join(LtiUser, LtiUser.user_id == CourseMember.user_id)  # type: ignore[arg-type]
                .where(LtiUser.sub == sub, CourseMember.course_id == course_id(lti))
            ).first()
            assert (found.role if found else None) == role, sub
            if found:
                assert found.enrolment == Enrolment.LMS
    # When the LMS's roster service fails, the page says so and nothing changes.
    lti.lms.roster_down = True
    with launched(lti, teacher) as browser:
        page = browser.get(f"{lti.tool_url}/lti/courses/{course_id(lti)}")
        failed = browser.post(
            f"{lti.tool_url}/lti/courses/{course_id(lti)}/roster", data={"csrf_token": csrf_of(page.text)}
        )
        assert failed.status_code == 200
        assert "Networking 201: the LMS refused the roster request (HTTP 503)." in failed.text
        assert "failed: the LMS answered HTTP 503" in failed.text
    lti.lms.roster_down = False
    # A learner who then launches is the account the roster made, not a second one.
    learner = LmsUser(sub="lms-roster-learner", name="Member", email="", roles=[LEARNER])
    with launched(lti, learner):
        pass
    with Session(lti.engine) as session:
        assert len(session.exec(select(LtiUser).where(LtiUser.sub == "lms-roster-learner")).all()) == 1


def test_the_roster_and_key_rotation_from_the_command_line(lti: LtiSetup, monkeypatch: pytest.MonkeyPatch) -> None:
    with launched(lti, person([INSTRUCTOR])):
        pass
    monkeypatch.setenv("TRACEDOJO_DATABASE_URL", lti.settings.database_url)
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    lti.lms.members = [{"user_id": "lms-cli-learner", "roles": ["Learner"], "name": "Cli Learner"}]

    listed = runner.invoke(app, ["lti", "list"])
    assert listed.exit_code == 0 and lti.lms.issuer in listed.output and "deployment-1" in listed.output

    with httpx.Client() as client:
        before = [key["kid"] for key in client.get(f"{lti.tool_url}/lti/jwks").json()["keys"]]
        rotated = runner.invoke(app, ["lti", "rotate-key"])
        assert rotated.exit_code == 0, rotated.output
        new_kid = re.search(r"new signing key (\S+);", rotated.output)
        assert new_kid
        after = [key["kid"] for key in client.get(f"{lti.tool_url}/lti/jwks").json()["keys"]]
        assert after[0] == new_kid[1] and before[0] in after  # the old key stays published for now

        roster = runner.invoke(app, ["lti", "roster", str(course_id(lti))])
        assert roster.exit_code == 0, roster.output
        assert "1 enrolled" in roster.output
        # The platform verified the token request with the new key, fetched from the tool's JWKS.
        assert lti.lms.token_requests[-1]["header"]["kid"] == new_kid[1]

        runner.invoke(app, ["lti", "rotate-key"])
        final = [key["kid"] for key in client.get(f"{lti.tool_url}/lti/jwks").json()["keys"]]
        assert new_kid[1] in final and before[0] not in final and len(final) == 2

    missing = runner.invoke(app, ["lti", "roster", "987654"])
    assert missing.exit_code == 2 and "no course 987654" in missing.output


def test_failed_posts_back_off_then_fail_for_good(tmp_path: Path) -> None:
    """The retry schedule itself, with its own database and its own clock, against a real platform."""
    engine = make_engine(f"sqlite:///{tmp_path / 'backoff.db'}")
    migrate(engine)
    lms = LtiTestPlatform()
    with lms.serve(), Session(engine, expire_on_commit=False) as session:
        platform = register_platform(session, **lms.registration())
        lms.tool_key_set = keys.jwks(session)  # no tool serves here: its administrator gave the key set
        sync_id = _graded_lms_learner(session, engine, lms, platform_id=platform.id or 0)
        policy, http = RetryPolicy(first_delay=10, max_attempts=3), PlatformHttp()
        lms.fail_next_scores = 5

        def row() -> LtiGradeSync:
            found = session.get(LtiGradeSync, sync_id, populate_existing=True)
            assert found is not None
            return found

        assert send_due(engine, http, policy=policy) == 0
        assert (row().attempts, row().status) == (1, SyncStatus.PENDING)
        assert row().next_attempt_at - utcnow() > timedelta(seconds=8)
        assert send_due(engine, http, policy=policy, now=utcnow() + timedelta(seconds=5)) == 0
        assert row().attempts == 1  # not due yet
        send_due(engine, http, policy=policy, now=utcnow() + timedelta(seconds=11))
        assert row().attempts == 2 and row().next_attempt_at - utcnow() > timedelta(seconds=18)  # doubled
        send_due(engine, http, policy=policy, now=utcnow() + timedelta(seconds=25))
        assert (row().attempts, row().status) == (3, SyncStatus.FAILED)
        assert "HTTP 503" in row().last_error
        assert lms.scores == []
        assert send_due(engine, http, policy=policy, now=utcnow() + timedelta(days=1)) == 0  # failed for good

        lms.fail_next_scores = 0
        retry(session, sync=row())  # the instructor's button
        assert send_due(engine, http, policy=policy) == 1
        assert (row().status, row().attempts, row().score_given) == (SyncStatus.SENT, 1, 10.0)
        assert [(s["userId"], s["scoreGiven"], s["scoreMaximum"]) for s in lms.scores] == [
            ("backoff-learner", 10.0, 10.0)
        ]
    engine.dispose()


def _graded_lms_learner(session: Session, engine: Engine, lms: LtiTestPlatform, *, platform_id: int) -> int:
    """An LMS learner of a linked assignment with a graded submission; returns its LMS grade's row."""
    platform = session.get(LtiPlatform, platform_id)
    assert platform is not None
    context, course = lms_context(
        session, platform=platform, deployment_id="deployment-1", context={"id": "c1"}, memberships_url=""
    )
    body = {
        "https://purl.imsglobal.org/spec/lti/claim/resource_link": {"id": "r1"},
        "https://purl.imsglobal.org/spec/lti/claim/custom": {"lesson": "echo-once"},
        "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
            "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
            "lineitem": lms.lineitem_url("r1"),
        },
    }
    catalog = Catalog.load(PROJECT_ROOT / "exercises")
    open_resource_link(session, context=context, course=course, body=body, catalog=catalog)
    _, user = lms_account(session, platform_id=platform_id, person=LmsPerson(sub="backoff-learner"))
    add_member(session, course=course, user=user, role=CourseRole.LEARNER)
    assert user.id is not None
    graded = Submission(
        user_id=user.id,
        exercise_slug="echo-once",
        exercise_version="t",
        code="x",
        status=SubmissionStatus.PASSED,
        score=7.0,
        max_score=7.0,
    )
    session.add(graded)
    session.commit()
    assert graded.id is not None
    (sync_id,) = schedule(engine, graded.id)
    return sync_id
