"""Predict, a lesson's third mode: the stepper's predictions as a scored run of their own.

A run walks every row that asks for a prediction (``trace_view.prediction_for``: something is
computed or received there), one answer per row, judged and stored by the stepper's own
``stepping.record_prediction``; the run keeps which rows were right. Score of a run = rows right /
predictable rows; a learner's progress in the mode is their best finished run.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic import Field as PydanticField
from sqlalchemy import UniqueConstraint
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select

from grader import Exercise
from tracedojo.models import utcnow
from tracedojo.stepping import MAX_ANSWER, record_prediction
from tracedojo.trace_view import PredictionPublic, prediction_for

RUNS_LISTED = 50  # by the API's summary; the best score is of every run


class PredictRun(SQLModel, table=True):
    """One walk through a lesson's predictable rows."""

    __tablename__ = "predict_run"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    exercise_slug: str = Field(index=True, max_length=64)
    exercise_version: str = Field(max_length=32)
    predictable: int  # rows that ask for a prediction when the run started
    right: int = 0
    answered: int = 0
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None


class PredictAnswer(SQLModel, table=True):
    """A run's one answer at one row (the stepper's ``StepPrediction`` keeps the same answer too)."""

    __tablename__ = "predict_answer"
    __table_args__ = (UniqueConstraint("run_id", "step", name="uq_predict_answer_run_step"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="predict_run.id", index=True)
    step: int
    answer: str = Field(max_length=MAX_ANSWER)
    correct: bool
    created_at: datetime = Field(default_factory=utcnow)


class PredictAnswerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    step: int = PydanticField(ge=1, le=1000, description="the execution-table row predicted")
    answer: str = PydanticField(min_length=1, max_length=MAX_ANSWER, description="the chosen or typed value")

    @field_validator("answer")
    @classmethod
    def _printable(cls, value: str) -> str:
        # PostgreSQL text cannot hold NUL; no value a lesson shows has one.
        if "\x00" in value:
            raise ValueError("contains a NUL character, which no value in a trace has")
        return value


class PredictableRow(BaseModel):
    n: int
    action: str  # what happens at the row, shown before the prediction
    prediction: PredictionPublic


class AnswerPublic(BaseModel):
    step: int
    answer: str
    correct: bool
    expected: str | None  # None: the lesson no longer asks for a prediction at this row


class RunPublic(BaseModel):
    id: int
    slug: str
    predictable: int
    answered: int
    right: int
    score: float | None  # right / predictable once finished
    finished: bool
    started_at: datetime
    finished_at: datetime | None
    next_step: int | None  # the next row to predict, None once finished
    answers: list[AnswerPublic] = []


class AnswerFeedback(BaseModel):
    step: int
    correct: bool
    expected: str
    run: RunPublic


class PredictSummary(BaseModel):
    slug: str
    rows: list[PredictableRow]
    best_score: float | None
    runs: list[RunPublic]  # newest first, at most RUNS_LISTED


class PredictProgress(BaseModel):
    """A learner's progress in the mode, for the lesson's mode hub (``state`` in its words:
    not_started, started, done)."""

    runs: int = 0
    finished: int = 0
    best_score: float | None = None  # 0..1, of finished runs

    @property
    def state(self) -> str:
        return "done" if self.finished else "started" if self.runs else "not_started"

    @property
    def summary(self) -> str:
        if not self.runs:
            return "Not tried yet"
        if self.best_score is None:
            return "A run under way, none finished yet"
        runs = f"{self.finished} run{'' if self.finished == 1 else 's'}"
        return f"Best run {round(self.best_score * 100)}% of the rows right ({runs})"


class RunNotOpen(Exception):
    def __init__(self, run_id: int) -> None:
        super().__init__(run_id)
        self.run_id = run_id

    def __str__(self) -> str:
        return f"run {self.run_id} is finished; start a new run to predict again"


class NothingToPredict(Exception):
    def __init__(self, slug: str) -> None:
        super().__init__(slug)
        self.slug = slug

    def __str__(self) -> str:
        return f"exercise {self.slug!r} has no row that asks for a prediction"


class StepNotInRun(ValueError):
    def __init__(self, step: int, expected: int | None, rows: list[int]) -> None:
        super().__init__(step)
        self.step, self.expected, self.rows = step, expected, rows

    def __str__(self) -> str:
        if self.step not in self.rows:
            return f"step: row {self.step} asks for no prediction; this lesson's are {', '.join(map(str, self.rows))}"
        then = f"; the next row to predict is {self.expected}" if self.expected else ""
        return f"step: row {self.step} is already answered in this run{then}"


def predictable_rows(exercise: Exercise) -> list[PredictableRow]:
    rows = []
    for row in exercise.execution_table:
        prediction = prediction_for(exercise, row.n)
        if prediction is not None:
            rows.append(PredictableRow(n=row.n, action=row.action, prediction=prediction.public()))
    return rows


def start_run(session: Session, *, user_id: int, exercise: Exercise) -> PredictRun:
    rows = predictable_rows(exercise)
    if not rows:
        raise NothingToPredict(exercise.slug)
    run = PredictRun(
        user_id=user_id,
        exercise_slug=exercise.slug,
        exercise_version=exercise.version,
        predictable=len(rows),
    )
    session.add(run)
    session.commit()
    session.refresh(run)
    return run


def run_of(session: Session, *, user_id: int, slug: str, run_id: int) -> PredictRun | None:
    """The learner's own run; another learner's is as absent as one that never was."""
    run = session.get(PredictRun, run_id)
    if run is None or run.user_id != user_id or run.exercise_slug != slug:
        return None
    return run


def _answers(session: Session, run_id: int) -> list[PredictAnswer]:
    return list(
        session.exec(select(PredictAnswer).where(PredictAnswer.run_id == run_id).order_by(col(PredictAnswer.id)))
    )


def answer_in_run(session: Session, *, run: PredictRun, exercise: Exercise, step: int, answer: str) -> AnswerFeedback:
    """Judge one row of the run with the stepper's judging (which stores it as a prediction too)."""
    if run.finished_at is not None:
        raise RunNotOpen(run.id or 0)
    assert run.id is not None
    rows = [r.n for r in predictable_rows(exercise)]
    done = {a.step for a in _answers(session, run.id)}
    left = [n for n in rows if n not in done]
    if step not in left:
        raise StepNotInRun(step, left[0] if left else None, rows)
    feedback = record_prediction(session, user_id=run.user_id, exercise=exercise, step=step, answer=answer)
    try:
        session.add(PredictAnswer(run_id=run.id, step=step, answer=answer, correct=feedback.correct))
        session.commit()
    except IntegrityError:  # the same row sent twice at once: the first one counts
        session.rollback()
        raise StepNotInRun(step, None, rows) from None
    # Counted from the stored answers, so that answers arriving together cannot lose one.
    answers = _answers(session, run.id)
    run.answered, run.right = len(answers), sum(a.correct for a in answers)
    if not [n for n in rows if n not in {a.step for a in answers}]:
        run.finished_at = run.finished_at or utcnow()
        run.predictable = len(rows)
    session.add(run)
    session.commit()
    session.refresh(run)
    return AnswerFeedback(
        step=step, correct=feedback.correct, expected=feedback.expected, run=public_run(session, run, exercise)
    )


def score_of(run: PredictRun) -> float | None:
    if run.finished_at is None or run.predictable == 0:
        return None
    return round(run.right / run.predictable, 4)


def public_run(session: Session, run: PredictRun, exercise: Exercise) -> RunPublic:
    assert run.id is not None
    answers = _answers(session, run.id)
    done = {a.step for a in answers}
    expected = {}
    for a in answers:
        prediction = prediction_for(exercise, a.step) if a.step <= len(exercise.execution_table) else None
        expected[a.step] = prediction.answer if prediction else None
    left = [r.n for r in predictable_rows(exercise) if r.n not in done] if run.finished_at is None else []
    return RunPublic(
        id=run.id,
        slug=run.exercise_slug,
        predictable=run.predictable,
        answered=run.answered,
        right=run.right,
        score=score_of(run),
        finished=run.finished_at is not None,
        started_at=run.started_at,
        finished_at=run.finished_at,
        next_step=left[0] if left else None,
        answers=[
            AnswerPublic(step=a.step, answer=a.answer, correct=a.correct, expected=expected[a.step]) for a in answers
        ],
    )


def runs_of(session: Session, *, user_id: int, slug: str) -> list[PredictRun]:
    """The learner's runs in one lesson, newest first."""
    return list(
        session.exec(
            select(PredictRun)
            .where(PredictRun.user_id == user_id, PredictRun.exercise_slug == slug)
            .order_by(col(PredictRun.id).desc())
        )
    )


def summary(session: Session, *, user_id: int, exercise: Exercise) -> PredictSummary:
    runs = runs_of(session, user_id=user_id, slug=exercise.slug)
    scores = [s for s in (score_of(r) for r in runs) if s is not None]
    return PredictSummary(
        slug=exercise.slug,
        rows=predictable_rows(exercise),
        best_score=max(scores, default=None),
        runs=[public_run(session, r, exercise) for r in runs[:RUNS_LISTED]],
    )


def progress_of_runs(runs: Iterable[PredictRun]) -> PredictProgress:
    """Progress in one lesson from its runs: runs started, finished, best score."""
    progress = PredictProgress()
    for run in runs:
        progress.runs += 1
        score = score_of(run)
        if score is not None:
            progress.finished += 1
            progress.best_score = score if progress.best_score is None else max(progress.best_score, score)
    return progress


def predict_progress(session: Session, *, user_id: int, slugs: Iterable[str]) -> dict[str, PredictProgress]:
    """Per lesson: runs started, runs finished, best score (one query for every lesson)."""
    by_lesson: dict[str, list[PredictRun]] = {slug: [] for slug in slugs}
    for run in session.exec(select(PredictRun).where(PredictRun.user_id == user_id)).all():
        if run.exercise_slug in by_lesson:
            by_lesson[run.exercise_slug].append(run)
    return {slug: progress_of_runs(runs) for slug, runs in by_lesson.items()}
