"""Attempts in a lesson's graded modes (Parsons, fill in the blanks, fix the bug): each is stored with the
learner's answer and the submission that graded it, through the same queue and grader as written code."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from sqlalchemy import JSON, Column
from sqlmodel import Field, Session, SQLModel, col, select

from grader import Exercise
from tracedojo.models import Submission, SubmissionStatus, User, first_failure, parse_steps, utcnow

if TYPE_CHECKING:
    from sqlalchemy.sql import Select

READ = "read"  # a lesson opened: an ungraded row, without a submission
FIX_SKIP = "fix-skip"  # "Try another bug": the learner moved on from a variant without fixing it


class ModeAttempt(SQLModel, table=True):
    """One answer in one mode of one lesson. ``passed`` and ``score`` are copied from the linked submission
    once it is graded (None until then)."""

    __tablename__ = "mode_attempt"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    exercise_slug: str = Field(index=True, max_length=64)
    exercise_version: str = Field(max_length=32)
    mode: str = Field(index=True, max_length=16)
    variant: str = Field(default="", max_length=128)  # the wrong variant (fix) or the learner's seed (parsons)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, default=dict))
    submission_id: int | None = Field(default=None, foreign_key="submission.id", index=True)
    passed: bool | None = None
    score: float | None = None
    max_score: float | None = None
    created_at: datetime = Field(default_factory=utcnow)


class ModeAttemptPublic(BaseModel):
    id: int
    exercise: str
    mode: str
    submission_id: int | None
    status: SubmissionStatus | None  # the submission's, None for an ungraded mode
    passed: bool | None
    score: float | None
    max_score: float | None
    answer: dict[str, Any]  # what the learner gave: blocks, fills or code
    feedback: str  # the first step that did not pass, named in the mode's own terms
    created_at: datetime


def mode_submission_ids() -> Select[tuple[int | None]]:
    """The submissions made by a mode's attempt: the written-code views and scores leave them out."""
    return select(ModeAttempt.submission_id).where(col(ModeAttempt.submission_id).is_not(None))  # type: ignore[return-value]


def record_attempt(
    session: Session,
    *,
    submission: Submission,
    exercise: Exercise,
    mode: str,
    variant: str = "",
    detail: dict[str, Any],
) -> ModeAttempt:
    """Store an attempt graded by ``submission`` (already queued through the normal path)."""
    row = ModeAttempt(
        user_id=submission.user_id,
        exercise_slug=exercise.slug,
        exercise_version=exercise.version,
        mode=mode,
        variant=variant,
        detail=detail,
        submission_id=submission.id,
        max_score=exercise.max_score,
    )
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


def note_read(session: Session, *, user_id: int, exercise: Exercise) -> None:
    """Remember that the learner opened the lesson (once)."""
    seen = session.exec(
        select(ModeAttempt.id).where(
            ModeAttempt.user_id == user_id, ModeAttempt.exercise_slug == exercise.slug, ModeAttempt.mode == READ
        )
    ).first()
    if seen is None:
        session.add(
            ModeAttempt(
                user_id=user_id, exercise_slug=exercise.slug, exercise_version=exercise.version, mode=READ, passed=True
            )
        )
        session.commit()


def note_skip(session: Session, *, user_id: int, exercise: Exercise, variant_file: str) -> ModeAttempt:
    """Remember that the learner left ``variant_file`` unfixed for the next bug (no submission, no verdict)."""
    row = ModeAttempt(
        user_id=user_id,
        exercise_slug=exercise.slug,
        exercise_version=exercise.version,
        mode=FIX_SKIP,
        variant=variant_file,
    )
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


def settle(session: Session, rows: list[ModeAttempt]) -> dict[int, Submission]:
    """Copy the verdict of each graded submission into its attempt; returns the attempts' submissions."""
    ids = [r.submission_id for r in rows if r.submission_id is not None]
    submissions = {
        s.id: s for s in session.exec(select(Submission).where(col(Submission.id).in_(ids))).all() if s.id is not None
    }
    changed = False
    for row in rows:
        found = submissions.get(row.submission_id) if row.submission_id is not None else None
        if found is None or not SubmissionStatus(found.status).final:
            continue
        passed = found.status == SubmissionStatus.PASSED
        if row.passed != passed or row.score != found.score:
            row.passed, row.score, row.max_score = passed, found.score, found.max_score
            session.add(row)
            changed = True
    if changed:
        session.commit()
    return submissions


def attempts_of(session: Session, *, user_id: int, slug: str, mode: str | None = None) -> list[ModeAttempt]:
    """A learner's attempts in a lesson (in one mode, or all), oldest first, with verdicts settled."""
    query = select(ModeAttempt).where(ModeAttempt.user_id == user_id, ModeAttempt.exercise_slug == slug)
    if mode is not None:
        query = query.where(ModeAttempt.mode == mode)
    rows = list(session.exec(query.order_by(col(ModeAttempt.id))).all())
    settle(session, rows)
    return rows


def visible_attempt(session: Session, *, user: User, attempt_id: int) -> ModeAttempt | None:
    """The attempt if ``user`` made it or is an instructor; otherwise None (answered as 404)."""
    row = session.get(ModeAttempt, attempt_id)
    if row is None or (row.user_id != user.id and not user.is_instructor):
        return None
    settle(session, [row])
    return row


def first_failed_step(submission: Submission | None) -> tuple[int, str, str] | None:
    """(row, title, what went wrong) of the first step the submission did not pass."""
    if submission is None:
        return None
    failed = first_failure(parse_steps(submission.steps))
    if failed is None:
        return None
    said = failed.message.strip() or (f"expected {failed.expected}, got {failed.actual}" if failed.expected else "")
    return failed.n, failed.title, said
