"""What counts as a learner's work on an assignment, by the mode it names.

write: the learner's own code submissions (not the ones a mode's attempt made); parsons, blanks, fix:
the submissions of that mode's attempts; predict: finished runs, each scored right / predictable rows;
quiz: the first answer to each question (the quiz's own first-try policy), one share of the points each.
Every piece of work carries the moment it was made, so the assignment's dates judge it (see assignments).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlmodel import Session, col, select

from grader import Exercise
from tracedojo.course_models import Assignment, as_utc
from tracedojo.mode_attempts import ModeAttempt, mode_submission_ids
from tracedojo.models import QuizAnswer, Submission, SubmissionStatus
from tracedojo.predict_mode import PredictRun

WRITE = "write"
# Modes an assignment can name, in the lesson's suggested order, with how their grade is made.
ASSIGNABLE_MODES: dict[str, str] = {
    "predict": "best finished run: rows right / rows to predict",
    "quiz": "each question's first answer: right ones earn their share",
    "parsons": "best graded attempt",
    "blanks": "best graded attempt",
    "fix": "best graded attempt",
    WRITE: "best graded submission",
}
SUBMISSION_MODES = ("parsons", "blanks", "fix")


class UnknownMode(ValueError):
    def __init__(self, mode: str) -> None:
        super().__init__(mode)
        self.mode = mode

    def __str__(self) -> str:
        return f"mode: {self.mode[:32]!r} is not a graded mode; choose one of {', '.join(ASSIGNABLE_MODES)}"


def checked_mode(mode: str) -> str:
    if mode not in ASSIGNABLE_MODES:
        raise UnknownMode(mode)
    return mode


class Lessons(Protocol):
    """Where a quiz's questions are counted: the platform's catalog."""

    def get(self, slug: str) -> Exercise | None: ...


@dataclass(frozen=True)
class Work:
    """One piece of work: when it was made and the fraction (0..1) of the points it earns on time."""

    at: datetime
    fraction: float
    submission_id: int | None = None


def adds_up(mode: str) -> bool:
    """Quiz answers add up to a grade; in every other mode the best single piece of work is the grade."""
    return mode == "quiz"


def work_by_user(
    session: Session, *, assignment: Assignment, user_ids: Sequence[int], lessons: Lessons | None
) -> dict[int, list[Work]]:
    found: dict[int, list[Work]] = {uid: [] for uid in user_ids}
    if not user_ids:
        return found
    slug, mode, ids = assignment.exercise_slug, assignment.mode, list(user_ids)
    if mode == "predict":
        for run in session.exec(
            select(PredictRun).where(
                PredictRun.exercise_slug == slug,
                col(PredictRun.user_id).in_(ids),
                col(PredictRun.finished_at).is_not(None),
            )
        ).all():
            if run.finished_at is not None and run.predictable > 0:
                found[run.user_id].append(Work(as_utc(run.finished_at), run.right / run.predictable))
        return found
    if mode == "quiz":
        return _quiz_work(session, slug=slug, user_ids=ids, lessons=lessons, found=found)
    query = select(Submission).where(Submission.exercise_slug == slug, col(Submission.user_id).in_(ids))
    if mode in SUBMISSION_MODES:
        query = query.join(ModeAttempt, col(ModeAttempt.submission_id) == col(Submission.id)).where(
            ModeAttempt.mode == mode
        )
    else:
        query = query.where(col(Submission.id).not_in(mode_submission_ids()))
    for row in session.exec(query.order_by(col(Submission.id))).all():
        if row.score is None or not SubmissionStatus(row.status).final or row.max_score <= 0:
            continue
        found[row.user_id].append(Work(as_utc(row.created_at), row.score / row.max_score, row.id))
    return found


def _quiz_work(
    session: Session, *, slug: str, user_ids: list[int], lessons: Lessons | None, found: dict[int, list[Work]]
) -> dict[int, list[Work]]:
    if lessons is None:
        raise LookupError("a quiz assignment's grade needs the lessons, to count the quiz's questions")
    exercise = lessons.get(slug)
    questions = {q.id for q in exercise.quiz} if exercise is not None else set()
    if not questions:
        return found
    share = 1.0 / len(questions)
    seen: set[tuple[int, str]] = set()
    for answer in session.exec(
        select(QuizAnswer)
        .where(QuizAnswer.exercise_slug == slug, col(QuizAnswer.user_id).in_(user_ids))
        .order_by(col(QuizAnswer.id))
    ).all():
        key = (answer.user_id, answer.question_id)
        if answer.question_id not in questions or key in seen:
            continue
        seen.add(key)
        found[answer.user_id].append(Work(as_utc(answer.created_at), share if answer.correct else 0.0))
    return found
