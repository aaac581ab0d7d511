"""A learner's progress per exercise, derived from stored quiz answers and submissions (the written code),
and from every way to learn the lesson (``modes``)."""

from __future__ import annotations

from pydantic import BaseModel
from sqlmodel import Session, col, select

from grader import Exercise
from tracedojo.lessons import LessonSummary, summary_of
from tracedojo.mode_attempts import READ, mode_submission_ids
from tracedojo.models import QuizAnswer, Submission, SubmissionStatus
from tracedojo.modes import ModeState, learner_activity, mode_views


class ModeBrief(BaseModel):
    """One way to learn the lesson and how far the learner is in it, in words."""

    key: str
    title: str
    url: str
    state: ModeState
    state_words: str
    summary: str


class ExerciseProgress(BaseModel):
    quiz_score: int = 0
    quiz_solved: int = 0
    quiz_size: int
    attempts: int = 0
    best_score: float | None = None
    max_score: float
    passed: bool = False
    last_status: SubmissionStatus | None = None
    modes: list[ModeBrief] = []  # every way to learn the lesson, in the suggested order

    @property
    def done(self) -> bool:
        return self.passed and self.quiz_solved == self.quiz_size

    @property
    def modes_done(self) -> int:
        return sum(m.state == ModeState.DONE for m in self.modes)

    @property
    def started(self) -> bool:
        # Opening the lesson marks "Read" done on its own: only the other modes' work starts a lesson.
        worked = any(m.state != ModeState.NOT_STARTED for m in self.modes if m.key != READ)
        return self.attempts > 0 or self.quiz_solved > 0 or worked


class ExerciseListing(LessonSummary):
    progress: ExerciseProgress


def progress_of(session: Session, *, user_id: int, exercises: list[Exercise]) -> dict[str, ExerciseProgress]:
    result = {e.slug: ExerciseProgress(quiz_size=len(e.quiz), max_score=e.max_score) for e in exercises}
    first_answer: dict[tuple[str, str], bool] = {}
    solved: set[tuple[str, str]] = set()
    for answer in session.exec(
        select(QuizAnswer).where(QuizAnswer.user_id == user_id).order_by(col(QuizAnswer.id))
    ).all():
        key = (answer.exercise_slug, answer.question_id)
        first_answer.setdefault(key, answer.correct)
        if answer.correct:
            solved.add(key)
    for exercise in exercises:
        entry = result[exercise.slug]
        ids = [q.id for q in exercise.quiz]
        entry.quiz_score = sum(first_answer.get((exercise.slug, q), False) for q in ids)
        entry.quiz_solved = sum((exercise.slug, q) in solved for q in ids)
    for submission in session.exec(
        select(Submission)
        .where(Submission.user_id == user_id, col(Submission.id).not_in(mode_submission_ids()))
        .order_by(col(Submission.id))
    ).all():
        found = result.get(submission.exercise_slug)
        if found is None:
            continue
        entry = found
        entry.attempts += 1
        entry.last_status = SubmissionStatus(submission.status)
        if submission.score is not None and (entry.best_score is None or submission.score > entry.best_score):
            entry.best_score = submission.score
        entry.passed = entry.passed or submission.status == SubmissionStatus.PASSED
    activities = learner_activity(session, user_id=user_id, exercises=exercises)
    for exercise in exercises:
        result[exercise.slug].modes = [
            ModeBrief(
                key=view.key,
                title=view.title,
                url=view.url,
                state=view.progress.state,
                state_words=view.state_words,
                summary=view.progress.summary,
            )
            for view in mode_views(activities[exercise.slug])
        ]
    return result


def listing(session: Session, *, user_id: int, exercises: list[Exercise]) -> list[ExerciseListing]:
    progress = progress_of(session, user_id=user_id, exercises=exercises)
    return [ExerciseListing(**summary_of(e).model_dump(), progress=progress[e.slug]) for e in exercises]
