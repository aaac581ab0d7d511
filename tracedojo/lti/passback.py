"""Assignment and Grade Services: a learner's grade goes back to the LMS after each graded submission.

Grading only records that a learner's score is due (one row per learner and resource link, see
``LtiGradeSync``); a background thread sends it. What is sent is the learner's best score under the
course's grading policy at the moment of sending, so sending twice, or out of order, leaves the LMS
right (idempotent). A failure is retried with exponential backoff; after the last attempt the row is
``failed`` and the instructor can retry it. Grading never waits for the LMS.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.grade import Grade
from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from tracedojo.assignment_work import Lessons
from tracedojo.assignments import learner_grade
from tracedojo.course_models import Assignment, CourseMember, CourseRole
from tracedojo.lti.adapter import PlatformHttp, ToolServiceConnector
from tracedojo.lti.due import ASSIGNMENT_DELETED
from tracedojo.lti.models import LtiContext, LtiGradeSync, LtiPlatform, LtiResourceLink, LtiUser, SyncStatus
from tracedojo.lti.registry import registration_of
from tracedojo.models import Submission, SubmissionStatus, User, utcnow

log = logging.getLogger("tracedojo.lti")

SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
# A claimed row is left alone by other processes for this long while its score is on the way.
_CLAIM_SECONDS = 60.0


@dataclass(frozen=True)
class RetryPolicy:
    first_delay: float = 30.0  # seconds before the first retry; each later one waits twice as long
    max_attempts: int = 6

    def delay(self, attempts: int) -> timedelta:
        return timedelta(seconds=self.first_delay * 2 ** max(0, attempts - 1))


def _due_pairs(engine: Engine, *, user_id: Any, slug: Any, extra: tuple[Any, ...] = ()) -> list[tuple[int, int]]:
    """(resource link, LMS user) pairs whose LMS grade a learner's work in a lesson may change: links to
    the lesson with a line item, in LMS courses where they are a learner, at the platform that knows them.
    ``user_id`` and ``slug`` are values or columns of a table joined by ``extra`` conditions. A plain
    connection, no ORM session: this runs after every grading, linked to an LMS or not."""
    query = (
        select(LtiResourceLink.id, LtiUser.id)
        .join(LtiContext, col(LtiContext.id) == col(LtiResourceLink.context_id))
        .join(CourseMember, col(CourseMember.course_id) == col(LtiContext.course_id))
        .join(LtiUser, col(LtiUser.platform_id) == col(LtiContext.platform_id))
        .where(
            *extra,
            LtiResourceLink.exercise_slug == slug,
            col(LtiResourceLink.lineitem_url).is_not(None),
            col(LtiResourceLink.assignment_id).is_not(None),
            CourseMember.user_id == user_id,
            CourseMember.role == CourseRole.LEARNER,
            LtiUser.user_id == user_id,
        )
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [(link_id, user_id) for link_id, user_id in rows if link_id is not None and user_id is not None]


def schedule(engine: Engine, submission_id: int) -> list[int]:
    """Mark the LMS grades a graded submission may change as due now; returns their sync rows' ids."""
    unfinished = [SubmissionStatus.QUEUED.value, SubmissionStatus.RUNNING.value]
    # One query, the submission joined in.
    pairs = _due_pairs(
        engine,
        user_id=Submission.user_id,
        slug=Submission.exercise_slug,
        extra=(Submission.id == submission_id, col(Submission.status).not_in(unfinished)),
    )
    return [_mark_due(engine, link_id=link_id, lti_user_id=user_id) for link_id, user_id in pairs]


def schedule_work(engine: Engine, *, user_id: int, slug: str) -> list[int]:
    """Work graded without a submission (a finished Predict run, a quiz answer): its LMS grades are due."""
    pairs = _due_pairs(engine, user_id=user_id, slug=slug)
    return [_mark_due(engine, link_id=link_id, lti_user_id=lms_id) for link_id, lms_id in pairs]


def _mark_due(engine: Engine, *, link_id: int, lti_user_id: int) -> int:
    table = LtiGradeSync.__table__  # type: ignore[attr-defined]
    for _ in range(3):
        with Session(engine) as session:
            row = session.exec(
                select(LtiGradeSync).where(
                    LtiGradeSync.resource_link_id == link_id, LtiGradeSync.lti_user_id == lti_user_id
                )
            ).first()
            if row is not None:
                assert row.id is not None
                # One UPDATE, so that concurrent gradings each count: a sender sees the generation move on.
                session.execute(
                    update(table)
                    .where(table.c.id == row.id)
                    .values(
                        generation=table.c.generation + 1,
                        status=SyncStatus.PENDING.value,
                        attempts=0,
                        next_attempt_at=utcnow(),
                        updated_at=utcnow(),
                    )
                )
                session.commit()
                return row.id
            row = LtiGradeSync(resource_link_id=link_id, lti_user_id=lti_user_id)
            session.add(row)
            try:
                session.commit()
            except IntegrityError:  # another grading made it first: update theirs
                session.rollback()
                continue
            assert row.id is not None
            return row.id
    raise RuntimeError(f"could not record the LMS grade of link {link_id} for LMS user {lti_user_id}")


def retry(session: Session, *, sync: LtiGradeSync) -> None:
    """Send again now, with a fresh round of attempts (the instructor's retry button)."""
    sync.status, sync.attempts, sync.next_attempt_at, sync.updated_at = SyncStatus.PENDING, 0, utcnow(), utcnow()
    sync.generation += 1
    session.add(sync)
    session.commit()


def _claim(engine: Engine, sync_id: int, now: datetime) -> int | None:
    """Take a due row for this sender; returns the generation it will send, None if another took it."""
    table = LtiGradeSync.__table__  # type: ignore[attr-defined]
    with engine.begin() as connection:
        row = connection.execute(
            table.select().where(
                table.c.id == sync_id,
                table.c.status == SyncStatus.PENDING.value,
                table.c.next_attempt_at <= now,
            )
        ).first()
        if row is None:
            return None
        taken = connection.execute(
            update(table)
            .where(table.c.id == sync_id, table.c.next_attempt_at == row.next_attempt_at)
            .values(next_attempt_at=now + timedelta(seconds=_CLAIM_SECONDS))
        ).rowcount
    return int(row.generation) if taken == 1 else None


def send_due(
    engine: Engine,
    http: requests.Session,
    *,
    policy: RetryPolicy,
    now: datetime | None = None,
    lessons: Lessons | None = None,
) -> int:
    """Send every due score; returns how many were sent."""
    now = now or utcnow()
    with Session(engine) as session:
        due = session.exec(
            select(LtiGradeSync.id)
            .where(LtiGradeSync.status == SyncStatus.PENDING, col(LtiGradeSync.next_attempt_at) <= now)
            .order_by(col(LtiGradeSync.next_attempt_at))
            .limit(200)
        ).all()
    sent = 0
    for sync_id in due:
        assert sync_id is not None
        generation = _claim(engine, sync_id, now)
        if generation is not None:
            sent += send_one(engine, http, sync_id=sync_id, generation=generation, policy=policy, lessons=lessons)
    return sent


def _score(
    session: Session, sync: LtiGradeSync, lessons: Lessons | None
) -> tuple[LtiResourceLink, LtiUser, LtiPlatform, Grade, int | None] | None:
    """What to send, from the grade of the link's assignment in its mode; None once the assignment is deleted."""
    link = session.get(LtiResourceLink, sync.resource_link_id)
    lms_user = session.get(LtiUser, sync.lti_user_id)
    assert link is not None and lms_user is not None
    assignment = session.get(Assignment, link.assignment_id) if link.assignment_id is not None else None
    if assignment is None:
        return None
    context = session.get(LtiContext, link.context_id)
    assert context is not None
    platform = session.get(LtiPlatform, context.platform_id)
    assert platform is not None
    grade = learner_grade(session, assignment=assignment, user_id=lms_user.user_id, lessons=lessons)
    score = (
        Grade()
        .set_score_given(grade.score)
        .set_score_maximum(assignment.points)
        .set_activity_progress("Completed" if grade.submission_id is not None else "Initialized")
        .set_grading_progress("FullyGraded")
        .set_timestamp(utcnow().isoformat())
        .set_user_id(lms_user.sub)
    )
    return link, lms_user, platform, score, grade.submission_id


def send_one(
    engine: Engine,
    http: requests.Session,
    *,
    sync_id: int,
    generation: int,
    policy: RetryPolicy,
    lessons: Lessons | None = None,
) -> int:
    """Send one learner's current best score to its line item; 1 when the LMS took it."""
    with Session(engine, expire_on_commit=False) as session:
        sync = session.get(LtiGradeSync, sync_id)
        if sync is None:
            return 0
        found = _score(session, sync, lessons)
        if found is None:  # its assignment was deleted: nothing to send, now or on a retry
            sync.status, sync.last_error, sync.updated_at = SyncStatus.FAILED, ASSIGNMENT_DELETED, utcnow()
            session.add(sync)
            session.commit()
            return 0
        link, _, platform, score, submission_id = found
        unchanged = sync.sent_at is not None and sync.score_given == score.get_score_given()
        error = ""
        if not unchanged:  # the LMS already holds this score: sending it again would change nothing
            service_data: Any = {"scope": link.ags_scopes or [SCORE_SCOPE], "lineitem": link.lineitem_url or ""}
            service = AssignmentsGradesService(
                ToolServiceConnector(registration_of(session, platform), http), service_data
            )
            try:
                service.put_grade(score)
            except LtiServiceException as exc:
                error = f"the LMS answered HTTP {exc.response.status_code} ({exc.response.url})"
            except (LtiException, requests.RequestException, ValueError, KeyError) as exc:
                error = str(exc) or type(exc).__name__
        _record(engine, sync_id, generation, error, score, submission_id, policy)
    return 0 if error else 1


def _record(
    engine: Engine,
    sync_id: int,
    generation: int,
    error: str,
    score: Grade,
    submission_id: int | None,
    policy: RetryPolicy,
) -> None:
    now = utcnow()
    with Session(engine) as session:
        sync = session.get(LtiGradeSync, sync_id)
        if sync is None:
            return
        sync.attempts += 1
        sync.updated_at = now
        if error:
            sync.last_error = error[:1000]
            if sync.attempts >= policy.max_attempts:
                sync.status = SyncStatus.FAILED
            else:
                sync.next_attempt_at = now + policy.delay(sync.attempts)
            log.warning("LMS grade %d (attempt %d): %s", sync_id, sync.attempts, error)
        else:
            sync.score_given, sync.score_maximum = score.get_score_given(), score.get_score_maximum()
            sync.submission_id, sync.sent_at, sync.last_error = submission_id, now, ""
            sync.sent_generation = generation
            if sync.generation == generation:
                sync.status = SyncStatus.SENT
            else:  # graded again while this one was on the way: send the newer best score too
                sync.next_attempt_at, sync.attempts = now, 0
        session.add(sync)
        session.commit()


class GradePassback:
    """The thread that sends due LMS scores: woken after each grading, and every ``poll`` seconds for retries."""

    def __init__(
        self, engine: Engine, *, policy: RetryPolicy, poll: float = 5.0, lessons: Lessons | None = None
    ) -> None:
        self.engine = engine
        self.lessons = lessons  # the catalog: quiz assignments' grades count its questions
        self.policy = policy
        self.poll = poll
        self.http = PlatformHttp()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="tracedojo-lti-passback", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wake(self) -> None:
        self._wake.set()

    def graded(self, submission_id: int) -> None:
        """After a submission's result is stored: note what the LMS should get, and send it soon."""
        try:
            if schedule(self.engine, submission_id):
                self._wake.set()
        except Exception:  # the LMS is never a reason for grading to fail
            log.exception("could not schedule the LMS grade of submission %d", submission_id)

    def worked(self, *, user_id: int, slug: str) -> None:
        """After a Predict run or a quiz answer is stored: the LMS grades of predict and quiz links are due."""
        try:
            if schedule_work(self.engine, user_id=user_id, slug=slug):
                self._wake.set()
        except Exception:  # the LMS is never a reason for a learner's answer to fail
            log.exception("could not schedule the LMS grade of user %d in %s", user_id, slug)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.poll)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                send_due(self.engine, self.http, policy=self.policy, lessons=self.lessons)
            except Exception:
                log.exception("sending LMS grades failed; trying again in %.0f s", self.poll)


@dataclass(frozen=True)
class SyncView:
    """One learner's LMS grade on one link, for the instructor's page."""

    sync: LtiGradeSync
    username: str
    lesson: str
    link_title: str


def course_grade_syncs(session: Session, *, course_id: int) -> list[SyncView]:
    rows = session.exec(
        select(LtiGradeSync, User.username, LtiResourceLink.exercise_slug, LtiResourceLink.title)
        .join(LtiResourceLink, col(LtiResourceLink.id) == col(LtiGradeSync.resource_link_id))
        .join(LtiContext, col(LtiContext.id) == col(LtiResourceLink.context_id))
        .join(LtiUser, col(LtiUser.id) == col(LtiGradeSync.lti_user_id))
        .join(User, col(User.id) == col(LtiUser.user_id))
        .where(LtiContext.course_id == course_id)
        .order_by(col(LtiResourceLink.exercise_slug), col(User.username))
    ).all()
    return [SyncView(sync=s, username=u, lesson=slug, link_title=title) for s, u, slug, title in rows]


def sync_in_course(session: Session, *, course_id: int, sync_id: int) -> LtiGradeSync | None:
    found = session.exec(
        select(LtiGradeSync)
        .join(LtiResourceLink, col(LtiResourceLink.id) == col(LtiGradeSync.resource_link_id))
        .join(LtiContext, col(LtiContext.id) == col(LtiResourceLink.context_id))
        .where(LtiGradeSync.id == sync_id, LtiContext.course_id == course_id)
    ).first()
    return found
