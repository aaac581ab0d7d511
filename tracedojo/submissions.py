"""Storing submissions and finding the ones a user may see."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session, col, func, select

from grader import Exercise
from tracedojo.mode_attempts import mode_submission_ids
from tracedojo.models import Submission, SubmissionPublic, SubmissionStatus, User

if TYPE_CHECKING:
    from tracedojo.platform_state import Platform


class CodeTooLarge(ValueError):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(size, limit)
        self.size = size
        self.limit = limit

    def __str__(self) -> str:
        return f"the code is {self.size} bytes; submissions are limited to {self.limit} bytes"


def create_submission(session: Session, *, user: User, exercise: Exercise, code: str, code_limit: int) -> Submission:
    """Store a submission as ``queued``; the caller hands its id to the grading queue."""
    size = len(code.encode("utf-8"))
    if size > code_limit:
        raise CodeTooLarge(size, code_limit)
    assert user.id is not None
    row = Submission(
        user_id=user.id,
        exercise_slug=exercise.slug,
        exercise_version=exercise.version,
        code=code,
        status=SubmissionStatus.QUEUED,
        max_score=exercise.max_score,
    )
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


def submit(session: Session, platform: Platform, *, user: User, exercise: Exercise, code: str) -> Submission:
    """Store a submission as queued and hand it to the grading queue (the API and the pages).

    Raises ``RateLimited`` past the user's submissions per minute and ``CodeTooLarge``.
    """
    platform.submission_limit.hit(str(user.id))
    row = create_submission(
        session, user=user, exercise=exercise, code=code, code_limit=platform.settings.limits.code_bytes
    )
    assert row.id is not None
    # Handing it over may wait (for a broker connection, under a burst): not while holding a database one.
    session.commit()
    platform.queue.enqueue(row.id, learner=user.id)
    return row


def queue_position(session: Session, row: Submission) -> int | None:
    """While ``row`` is queued, how many queued submissions (anyone's) came before it; else None.

    Fair share may take another learner's later submission first, never one of the learner's own, so
    this is what stands before it at most."""
    if row.status != SubmissionStatus.QUEUED or row.id is None:
        return None
    ahead = session.exec(
        select(func.count())
        .select_from(Submission)
        .where(Submission.status == SubmissionStatus.QUEUED, col(Submission.id) < row.id)
    ).one()
    return int(ahead)


def public_with_queue(session: Session, row: Submission) -> SubmissionPublic:
    """The submission's JSON, with its place in the queue while it waits."""
    public = SubmissionPublic.of(row)
    public.queue_position = queue_position(session, row)
    return public


def visible_submission(session: Session, *, user: User, submission_id: int) -> Submission | None:
    """The submission if ``user`` owns it or is an instructor; otherwise None (answered as 404)."""
    row = session.get(Submission, submission_id)
    if row is None or (row.user_id != user.id and not user.is_instructor):
        return None
    return row


def history(session: Session, *, user_id: int, slug: str, limit: int = 50) -> list[Submission]:
    """A user's written submissions to an exercise, newest first (a mode's attempts are not among them)."""
    return list(
        session.exec(
            select(Submission)
            .where(
                Submission.user_id == user_id,
                Submission.exercise_slug == slug,
                col(Submission.id).not_in(mode_submission_ids()),
            )
            .order_by(col(Submission.id).desc())
            .limit(limit)
        ).all()
    )


def latest_code(session: Session, *, user_id: int, slug: str) -> str | None:
    rows = history(session, user_id=user_id, slug=slug, limit=1)
    return rows[0].code if rows else None


def attempts(session: Session, *, user_id: int, slug: str) -> list[Submission]:
    """Every submission of a user to an exercise, newest first."""
    return list(
        session.exec(
            select(Submission)
            .where(Submission.user_id == user_id, Submission.exercise_slug == slug)
            .order_by(col(Submission.id).desc())
        ).all()
    )


def recent_with_usernames(session: Session, slug: str, limit: int = 200) -> list[tuple[Submission, str]]:
    """The newest submissions to an exercise, each with its author's username."""
    return [
        (row, username)
        for row, username in session.exec(
            select(Submission, User.username)
            .join(User, col(User.id) == col(Submission.user_id))
            .where(Submission.exercise_slug == slug)
            .order_by(col(Submission.id).desc())
            .limit(limit)
        ).all()
    ]
