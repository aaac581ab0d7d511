"""One learner's work in order: every quiz answer and every submission."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from tracedojo.lessons import Catalog
from tracedojo.models import QuizAnswer, Submission, SubmissionStatus, first_failure, parse_steps


class TimelineEvent(BaseModel):
    at: datetime
    kind: Literal["quiz", "submission"]
    exercise: str
    exercise_title: str
    # a quiz answer
    question: str | None = None
    choice: str | None = None
    correct: bool | None = None
    # a submission
    submission_id: int | None = None
    status: SubmissionStatus | None = None
    score: float | None = None
    max_score: float | None = None
    failed_at: int | None = None


def learner_timeline(session: Session, *, user_id: int, catalog: Catalog) -> list[TimelineEvent]:
    """Oldest first."""

    def title(slug: str) -> str:
        exercise = catalog.get(slug)
        return exercise.title if exercise else slug

    events = [
        TimelineEvent(
            at=a.created_at,
            kind="quiz",
            exercise=a.exercise_slug,
            exercise_title=title(a.exercise_slug),
            question=a.question_id,
            choice=a.choice,
            correct=a.correct,
        )
        for a in session.exec(select(QuizAnswer).where(QuizAnswer.user_id == user_id).order_by(col(QuizAnswer.id)))
    ]
    for s_id, slug, status, score, max_score, steps, created_at in (
        session.connection()
        .execute(
            sa_select(
                col(Submission.id),
                col(Submission.exercise_slug),
                col(Submission.status),
                col(Submission.score),
                col(Submission.max_score),
                col(Submission.steps),
                col(Submission.created_at),
            )
            .where(col(Submission.user_id) == user_id)
            .order_by(col(Submission.id))
        )
        .all()
    ):
        failed = first_failure(parse_steps(steps))
        events.append(
            TimelineEvent(
                at=created_at,
                kind="submission",
                exercise=slug,
                exercise_title=title(slug),
                submission_id=s_id,
                status=status,
                score=score,
                max_score=max_score,
                failed_at=failed.n if failed else None,
            )
        )
    events.sort(key=lambda e: e.at)
    return events
