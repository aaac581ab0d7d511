"""Regrading an exercise's stored submissions, keeping each earlier result to show what changed."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from fastapi import HTTPException, status
from pydantic import BaseModel, computed_field
from sqlmodel import Session, col, select

from grader import Exercise, ExerciseError
from tracedojo.exercise_stats import first_failure
from tracedojo.models import Regrade, Submission, SubmissionResult, SubmissionStatus, User

if TYPE_CHECKING:
    from tracedojo.platform_state import Platform


def start_regrade(
    session: Session, *, exercise: Exercise, requested_by: int | None = None
) -> tuple[Regrade, list[int]]:
    """Keep every graded submission's result, mark the submission queued again; the caller queues the ids.

    Submissions still queued or running are left alone: they will be graded against the new
    version anyway.
    """
    rows = session.exec(
        select(Submission)
        .where(
            Submission.exercise_slug == exercise.slug,
            col(Submission.status).not_in([SubmissionStatus.QUEUED, SubmissionStatus.RUNNING]),
        )
        .order_by(col(Submission.id))
    ).all()
    regrade = Regrade(
        exercise_slug=exercise.slug, exercise_version=exercise.version, requested_by=requested_by, submissions=len(rows)
    )
    session.add(regrade)
    session.flush()
    assert regrade.id is not None
    for row in rows:
        assert row.id is not None
        session.add(
            SubmissionResult(
                submission_id=row.id,
                regrade_id=regrade.id,
                exercise_version=row.exercise_version,
                status=row.status,
                score=row.score,
                max_score=row.max_score,
                message=row.message,
                output=row.output,
                duration_ms=row.duration_ms,
                steps=row.steps,
                graded_at=row.finished_at,
            )
        )
        row.status = SubmissionStatus.QUEUED
        row.score = None
        row.steps = []
        row.message = ""
        row.output = ""
        row.duration_ms = None
        row.started_at = None
        row.finished_at = None
        session.add(row)
    session.commit()
    session.refresh(regrade)
    return regrade, [row.id for row in rows if row.id is not None]


class Verdict(BaseModel):
    exercise_version: str
    status: SubmissionStatus
    score: float | None
    max_score: float
    failed_at: int | None  # the first failing trace row
    graded_at: datetime | None


class RegradeChange(BaseModel):
    submission_id: int
    user_id: int
    username: str
    before: Verdict
    after: Verdict  # the submission's next result: the current one, or the one a later regrade kept

    @computed_field  # type: ignore[prop-decorator]
    @property
    def pending(self) -> bool:
        return not self.after.status.final

    @computed_field  # type: ignore[prop-decorator]
    @property
    def changed(self) -> bool:
        return not self.pending and (
            self.before.status != self.after.status
            or self.before.score != self.after.score
            or self.before.failed_at != self.after.failed_at
        )


class RegradeReport(BaseModel):
    id: int
    exercise: str
    exercise_version: str
    requested_by: str | None
    created_at: datetime
    submissions: int
    pending: int
    changed: int
    changes: list[RegradeChange]  # every regraded submission, changed ones first


def _verdict(row: Submission | SubmissionResult) -> Verdict:
    failed = first_failure(row.steps)
    return Verdict(
        exercise_version=row.exercise_version,
        status=SubmissionStatus(row.status),
        score=row.score,
        max_score=row.max_score,
        failed_at=int(failed["n"]) if failed else None,
        graded_at=row.finished_at if isinstance(row, Submission) else row.graded_at,
    )


def regrade_reports(session: Session, *, slug: str, limit: int = 5) -> list[RegradeReport]:
    """The exercise's latest regrades, newest first, each with every submission's result before and after."""
    regrades = session.exec(
        select(Regrade).where(Regrade.exercise_slug == slug).order_by(col(Regrade.id).desc()).limit(limit)
    ).all()
    return [regrade_report(session, regrade=r) for r in regrades]


def regrade_report(session: Session, *, regrade: Regrade) -> RegradeReport:
    assert regrade.id is not None
    kept = session.exec(
        select(SubmissionResult, Submission, User.username)
        .join(Submission, col(Submission.id) == col(SubmissionResult.submission_id))
        .join(User, col(User.id) == col(Submission.user_id))
        .where(SubmissionResult.regrade_id == regrade.id)
        .order_by(col(SubmissionResult.submission_id))
    ).all()
    changes = []
    for before, submission, username in kept:
        later = session.exec(
            select(SubmissionResult)
            .where(SubmissionResult.submission_id == before.submission_id, col(SubmissionResult.id) > before.id)
            .order_by(col(SubmissionResult.id))
            .limit(1)
        ).first()
        changes.append(
            RegradeChange(
                submission_id=before.submission_id,
                user_id=submission.user_id,
                username=username,
                before=_verdict(before),
                after=_verdict(later if later is not None else submission),
            )
        )
    changes.sort(key=lambda c: (not c.changed, c.submission_id))
    requester = session.get(User, regrade.requested_by) if regrade.requested_by is not None else None
    return RegradeReport(
        id=regrade.id,
        exercise=regrade.exercise_slug,
        exercise_version=regrade.exercise_version,
        requested_by=requester.username if requester else None,
        created_at=regrade.created_at,
        submissions=regrade.submissions,
        pending=sum(c.pending for c in changes),
        changed=sum(c.changed for c in changes),
        changes=changes,
    )


def earlier_results(session: Session, *, submission_id: int) -> list[tuple[SubmissionResult, Regrade]]:
    """A submission's kept results, oldest first, each with the regrade that replaced it."""
    return list(
        session.exec(
            select(SubmissionResult, Regrade)
            .join(Regrade, col(Regrade.id) == col(SubmissionResult.regrade_id))
            .where(SubmissionResult.submission_id == submission_id)
            .order_by(col(SubmissionResult.id))
        ).all()
    )


def regrade_exercise(session: Session, platform: Platform, *, slug: str, user: User) -> tuple[Regrade, str]:
    """Read the exercise file again, keep every current result and queue the submissions again.

    Returns the regrade and the version it replaced; refuses with 404, 503 (grading unavailable here) or 422
    (the file is broken now), for the API and the dashboard page alike.
    """
    previous = platform.catalog.get(slug)
    if previous is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no exercise {slug!r}")
    if platform.queue.unavailable is not None:
        # Regrading now would replace every result with "grading is unavailable".
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            f"grading is unavailable on this server, nothing was regraded: {platform.queue.unavailable}",
        )
    try:
        exercise = platform.catalog.reload(slug)
    except ExerciseError as exc:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"the exercise file is broken now, nothing was regraded: {exc}"
        ) from exc
    regrade, ids = start_regrade(session, exercise=exercise, requested_by=user.id)
    for submission_id in ids:
        platform.queue.enqueue(submission_id)
    return regrade, previous.version
