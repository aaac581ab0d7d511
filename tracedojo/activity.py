"""What changed since an instructor's dashboard last looked: new and graded submissions, quiz answers.

Read from the database rather than from the grading threads, so the dashboard follows
grading done by any process (the web server's pool, ``tracedojo regrade``, a worker).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import Engine, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from tracedojo.models import QuizAnswer, Submission, SubmissionStatus, User

_OPEN = (SubmissionStatus.QUEUED, SubmissionStatus.RUNNING)


class SubmissionEvent(BaseModel):
    kind: Literal["submission"] = "submission"
    id: int
    user_id: int
    username: str
    exercise: str
    status: SubmissionStatus
    score: float | None
    max_score: float


class QuizEvent(BaseModel):
    kind: Literal["quiz"] = "quiz"
    id: int
    user_id: int
    username: str
    exercise: str
    question: str
    choice: str
    correct: bool


class Activity(BaseModel):
    type: Literal["activity"] = "activity"
    users: list[int]
    exercises: list[str]
    events: list[SubmissionEvent | QuizEvent]


class ActivityFeed:
    """Polled by one dashboard connection; each poll reports what changed since the previous one."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        with Session(engine) as session:
            self._last_submission = session.exec(select(func.max(Submission.id))).one() or 0
            self._last_answer = session.exec(select(func.max(QuizAnswer.id))).one() or 0
            self._last_finished: datetime | None = session.exec(select(func.max(Submission.finished_at))).one()
            self._open = {
                row_id: status
                for row_id, status in session.exec(
                    select(Submission.id, Submission.status).where(col(Submission.status).in_(_OPEN))
                ).all()
                if row_id is not None
            }

    def poll(self) -> Activity | None:
        with Session(self.engine) as session:
            changed = [col(Submission.id) > self._last_submission, col(Submission.status).in_(_OPEN)]
            if self._last_finished is not None:
                changed.append(col(Submission.finished_at) > self._last_finished)
            else:
                changed.append(col(Submission.finished_at).is_not(None))
            if self._open:
                changed.append(col(Submission.id).in_(list(self._open)))
            rows = (
                session.connection()
                .execute(
                    sa_select(
                        col(Submission.id),
                        col(Submission.user_id),
                        col(User.username),
                        col(Submission.exercise_slug),
                        col(Submission.status),
                        col(Submission.score),
                        col(Submission.max_score),
                        col(Submission.finished_at),
                    )
                    .join(User, col(User.id) == col(Submission.user_id))
                    .where(or_(*changed))
                    .order_by(col(Submission.id))
                )
                .all()
            )
            answers = session.exec(
                select(QuizAnswer, User.username)
                .join(User, col(User.id) == col(QuizAnswer.user_id))
                .where(col(QuizAnswer.id) > self._last_answer)
                .order_by(col(QuizAnswer.id))
            ).all()
        events: list[SubmissionEvent | QuizEvent] = []
        for row_id, user_id, username, slug, status, score, max_score, finished_at in rows:
            assert row_id is not None
            is_open = status in _OPEN
            if self._open.get(row_id) == status and row_id <= self._last_submission:
                continue  # still waiting, as it was
            if is_open:
                self._open[row_id] = status
            else:
                self._open.pop(row_id, None)
            self._last_submission = max(self._last_submission, row_id)
            if finished_at is not None and (self._last_finished is None or finished_at > self._last_finished):
                self._last_finished = finished_at
            events.append(
                SubmissionEvent(
                    id=row_id,
                    user_id=user_id,
                    username=username,
                    exercise=slug,
                    status=status,
                    score=score,
                    max_score=max_score,
                )
            )
        for answer, username in answers:
            assert answer.id is not None
            self._last_answer = max(self._last_answer, answer.id)
            events.append(
                QuizEvent(
                    id=answer.id,
                    user_id=answer.user_id,
                    username=username,
                    exercise=answer.exercise_slug,
                    question=answer.question_id,
                    choice=answer.choice,
                    correct=answer.correct,
                )
            )
        if not events:
            return None
        return Activity(
            users=sorted({e.user_id for e in events}),
            exercises=sorted({e.exercise for e in events}),
            events=events,
        )
