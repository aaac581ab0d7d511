"""The lesson stepper's records: predictions made before a row is revealed, and how each learner
steps through a lesson (visits, back-steps, time per row), bounded to one row per lesson step."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlalchemy import UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, func, select

from grader import Exercise
from tracedojo.models import utcnow
from tracedojo.text_clean import CleanText
from tracedojo.trace_view import prediction_for

MAX_ANSWER = 200  # characters of a typed prediction that are kept
MAX_STEP_MS = 10 * 60 * 1000  # a step left open longer counts as ten minutes: the learner walked away
MAX_VISITS_PER_REPORT = 200


class StepPrediction(SQLModel, table=True):
    """One prediction at a stepper row, right or wrong; every attempt is kept, as for the quiz."""

    __tablename__ = "step_prediction"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    exercise_slug: str = Field(index=True, max_length=64)
    exercise_version: str = Field(max_length=32)
    step: int
    answer: str = Field(max_length=MAX_ANSWER)
    correct: bool
    created_at: datetime = Field(default_factory=utcnow)


class StepVisit(SQLModel, table=True):
    """How one learner has stepped through one row of one lesson: at most one record per row."""

    __tablename__ = "step_visit"
    __table_args__ = (UniqueConstraint("user_id", "exercise_slug", "step", name="uq_step_visit_user_lesson_step"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    exercise_slug: str = Field(index=True, max_length=64)
    step: int
    visits: int = 0
    back_steps: int = 0  # arrivals at this row by stepping backwards
    total_ms: int = 0
    updated_at: datetime = Field(default_factory=utcnow)


class PredictionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    step: int = PydanticField(ge=1, le=1000, description="the execution-table row predicted")
    answer: CleanText = PydanticField(min_length=1, max_length=MAX_ANSWER, description="the chosen or typed value")


class PredictionFeedback(BaseModel):
    step: int
    correct: bool
    expected: str
    attempt: int


class PredictionPublic(BaseModel):
    step: int
    answer: str
    correct: bool
    created_at: datetime


class Visit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    step: int = PydanticField(ge=1, le=1000)
    ms: int = PydanticField(ge=0, le=24 * 3600 * 1000, description="time spent on the row, in milliseconds")
    back: bool = PydanticField(default=False, description="the row was reached by stepping backwards")


class SteppingReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    visits: list[Visit] = PydanticField(min_length=1, max_length=MAX_VISITS_PER_REPORT)


class SteppingRecorded(BaseModel):
    recorded: int


class RowAnalytics(BaseModel):
    n: int
    predictions: int
    predictions_correct: int
    share_correct: float | None  # None: nobody predicted here yet
    asks_prediction: bool
    learners: int  # learners who stepped onto this row
    visits: int
    back_steps: int
    mean_seconds: float | None


class PredictionUnknown(LookupError):
    def __init__(self, slug: str, step: int, steps: int) -> None:
        super().__init__(slug, step)
        self.slug, self.step, self.steps = slug, step, steps

    def __str__(self) -> str:
        if self.step > self.steps:
            return f"exercise {self.slug!r} has no step {self.step}; its rows are 1..{self.steps}"
        return f"step {self.step} of exercise {self.slug!r} asks for no prediction"


def record_prediction(
    session: Session, *, user_id: int, exercise: Exercise, step: int, answer: str
) -> PredictionFeedback:
    prediction = prediction_for(exercise, step) if step <= len(exercise.execution_table) else None
    if prediction is None:
        raise PredictionUnknown(exercise.slug, step, len(exercise.execution_table))
    correct = prediction.judge(answer)
    previous = session.exec(
        select(func.count())
        .select_from(StepPrediction)
        .where(
            StepPrediction.user_id == user_id,
            StepPrediction.exercise_slug == exercise.slug,
            StepPrediction.step == step,
        )
    ).one()
    session.add(
        StepPrediction(
            user_id=user_id,
            exercise_slug=exercise.slug,
            exercise_version=exercise.version,
            step=step,
            answer=answer,
            correct=correct,
        )
    )
    session.commit()
    return PredictionFeedback(step=step, correct=correct, expected=prediction.answer, attempt=previous + 1)


def predictions_of(session: Session, *, user_id: int, slug: str) -> list[PredictionPublic]:
    rows = session.exec(
        select(StepPrediction)
        .where(StepPrediction.user_id == user_id, StepPrediction.exercise_slug == slug)
        .order_by(col(StepPrediction.id))
    ).all()
    return [PredictionPublic(step=r.step, answer=r.answer, correct=r.correct, created_at=r.created_at) for r in rows]


def record_stepping(session: Session, *, user_id: int, exercise: Exercise, visits: Sequence[Visit]) -> int:
    """Add visits to the learner's per-row totals. Rows the lesson does not have are refused by the
    caller; the totals stay one record per row however long the learner steps."""
    by_step: dict[int, StepVisit] = {
        row.step: row
        for row in session.exec(
            select(StepVisit).where(StepVisit.user_id == user_id, StepVisit.exercise_slug == exercise.slug)
        ).all()
    }
    for visit in visits:
        row = by_step.get(visit.step)
        if row is None:
            row = by_step[visit.step] = StepVisit(user_id=user_id, exercise_slug=exercise.slug, step=visit.step)
        row.visits += 1
        row.back_steps += int(visit.back)
        row.total_ms += min(visit.ms, MAX_STEP_MS)
        row.updated_at = utcnow()
        session.add(row)
    session.commit()
    return len(visits)


def row_analytics(session: Session, *, exercise: Exercise) -> list[RowAnalytics]:
    """Per execution-table row: prediction accuracy and how learners stepped through it."""
    guesses = session.exec(
        select(StepPrediction.step, StepPrediction.correct, func.count())
        .where(StepPrediction.exercise_slug == exercise.slug)
        .group_by(col(StepPrediction.step), col(StepPrediction.correct))
    ).all()
    # One record per learner and row, so this reads at most learners x rows records.
    stepping = session.exec(select(StepVisit).where(StepVisit.exercise_slug == exercise.slug)).all()
    made: dict[int, list[int]] = {}
    for step, correct, count in guesses:
        made.setdefault(step, [0, 0])[0 if correct else 1] += count
    walked: dict[int, tuple[int, int, int, int]] = {}
    for record in stepping:
        learners, visits, back, ms = walked.get(record.step, (0, 0, 0, 0))
        walked[record.step] = (learners + 1, visits + record.visits, back + record.back_steps, ms + record.total_ms)
    rows = []
    for row in exercise.execution_table:
        right, wrong = made.get(row.n, [0, 0])
        learners, visits, back, ms = walked.get(row.n, (0, 0, 0, 0))
        rows.append(
            RowAnalytics(
                n=row.n,
                predictions=right + wrong,
                predictions_correct=right,
                share_correct=right / (right + wrong) if right + wrong else None,
                asks_prediction=prediction_for(exercise, row.n) is not None,
                learners=learners,
                visits=visits,
                back_steps=back,
                mean_seconds=round(ms / visits / 1000, 1) if visits else None,
            )
        )
    return rows
