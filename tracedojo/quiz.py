"""Answering quiz questions: immediate feedback, every attempt stored.

Score policy: a question scores when the learner's *first* answer to it was right;
later attempts still give feedback and count towards "answered".
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, func, select

from grader import Exercise, QuizQuestion
from tracedojo.hint_links import HintPart, hint_parts
from tracedojo.models import QuizAnswer

SCORE_POLICY = "Each question scores one point if your first answer is right. You can keep trying for the explanation."


class QuizChoice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    choice: str = Field(min_length=1, max_length=1, description="the letter of the chosen answer, e.g. 'A'")


class QuizFeedback(BaseModel):
    question_id: str
    correct: bool
    hint: str | None = None
    hint_parts: list[HintPart] | None = None  # the hint as text and links to the lesson's sections and rows
    explanation: str | None = None
    attempt: int
    first_try: bool


def record_answer(
    session: Session, *, user_id: int, exercise: Exercise, question: QuizQuestion, choice: str
) -> QuizFeedback:
    correct = choice == question.answer
    previous = session.exec(
        select(func.count())
        .select_from(QuizAnswer)
        .where(
            QuizAnswer.user_id == user_id,
            QuizAnswer.exercise_slug == exercise.slug,
            QuizAnswer.question_id == question.id,
        )
    ).one()
    session.add(
        QuizAnswer(
            user_id=user_id,
            exercise_slug=exercise.slug,
            exercise_version=exercise.version,
            question_id=question.id,
            choice=choice,
            correct=correct,
        )
    )
    session.commit()
    return QuizFeedback(
        question_id=question.id,
        correct=correct,
        hint=None if correct else question.hint,
        hint_parts=None if correct else hint_parts(question.hint, len(exercise.execution_table)),
        explanation=question.explanation if correct else None,
        attempt=previous + 1,
        first_try=previous == 0,
    )


class QuestionState(BaseModel):
    answered: bool = False
    solved: bool = False
    first_try_correct: bool = False
    attempts: int = 0


def question_states(session: Session, *, user_id: int, slug: str) -> dict[str, QuestionState]:
    rows = session.exec(
        select(QuizAnswer)
        .where(QuizAnswer.user_id == user_id, QuizAnswer.exercise_slug == slug)
        .order_by(col(QuizAnswer.id))
    ).all()
    states: dict[str, QuestionState] = {}
    for row in rows:
        state = states.setdefault(row.question_id, QuestionState(answered=True, first_try_correct=row.correct))
        state.attempts += 1
        state.solved = state.solved or row.correct
    return states
