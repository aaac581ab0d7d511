"""What Review asks about: each lesson's key moments and quiz items as question/answer cards, for the
lessons a learner has started.

A quiz item becomes a card once the learner has solved it: a card shows its answer, and the quiz
keeps its answers from a learner who has not found them yet. Key moments are open reading on the
lesson page, so every moment of a started lesson is a card.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel
from sqlmodel import Session, select

from grader import Exercise
from tracedojo.models import QuizAnswer, Submission
from tracedojo.predict_mode import PredictRun
from tracedojo.stepping import StepPrediction, StepVisit

ItemKind = Literal["moment", "quiz"]


class ReviewItem(BaseModel):
    slug: str
    lesson: str  # the lesson's title
    kind: ItemKind
    key: str  # stable within the lesson: the quiz question's id, or a moment's question digest
    question: str
    choices: dict[str, str] = {}  # a quiz item's choices, letter to text
    answer: str
    explanation: str | None = None
    steps: list[int] = []  # execution-table rows the item refers to


def moment_key(question: str) -> str:
    # By the question's text, not its position: a moment added above keeps the others' schedules.
    return "m-" + hashlib.sha256(" ".join(question.split()).encode()).hexdigest()[:12]


def lesson_items(exercise: Exercise) -> list[ReviewItem]:
    items = [
        ReviewItem(
            slug=exercise.slug,
            lesson=exercise.title,
            kind="moment",
            key=moment_key(moment.question),
            question=moment.question,
            answer=moment.answer,
            steps=list(moment.steps),
        )
        for moment in exercise.key_moments
    ]
    for question in exercise.quiz:
        items.append(
            ReviewItem(
                slug=exercise.slug,
                lesson=exercise.title,
                kind="quiz",
                key=question.id,
                question=question.prompt,
                choices=dict(question.choices),
                answer=f"{question.answer}: {question.choices[question.answer]}",
                explanation=question.explanation,
            )
        )
    return items


def started_lessons(session: Session, *, user_id: int) -> set[str]:
    """Lessons the learner has done anything in: a quiz answer, a submission, a prediction, stepping."""
    started: set[str] = set()
    for table in (QuizAnswer, Submission, StepPrediction, StepVisit, PredictRun):
        started.update(session.exec(select(table.exercise_slug).where(table.user_id == user_id).distinct()).all())
    return started


def solved_questions(session: Session, *, user_id: int) -> set[tuple[str, str]]:
    rows = session.exec(
        select(QuizAnswer.exercise_slug, QuizAnswer.question_id)
        .where(QuizAnswer.user_id == user_id, QuizAnswer.correct == True)  # noqa: E712 - SQL, not Python
        .distinct()
    ).all()
    return {(slug, question) for slug, question in rows}


def learner_items(session: Session, *, user_id: int, exercises: Sequence[Exercise]) -> list[ReviewItem]:
    """Every item the learner reviews now: started lessons' moments and solved quiz items."""
    started = started_lessons(session, user_id=user_id)
    solved = solved_questions(session, user_id=user_id)
    return [
        item
        for exercise in exercises
        if exercise.slug in started
        for item in lesson_items(exercise)
        if item.kind == "moment" or (item.slug, item.key) in solved
    ]
