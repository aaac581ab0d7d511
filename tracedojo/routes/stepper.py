"""The lesson stepper's JSON API: the trace as lanes, predictions before a row is revealed, and
how a learner steps through the lesson (for the instructor's analytics)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from tracedojo.deps import CurrentUser, InstructorOnly, PlatformDep, SessionDep, Slug, exercise_or_404
from tracedojo.stepping import (
    PredictionCreate,
    PredictionFeedback,
    PredictionPublic,
    PredictionUnknown,
    RowAnalytics,
    SteppingRecorded,
    SteppingReport,
    predictions_of,
    record_prediction,
    record_stepping,
    row_analytics,
)
from tracedojo.trace_view import LessonTrace, lesson_trace

router = APIRouter(prefix="/api", tags=["stepper"])


@router.get("/exercises/{slug}/trace", response_model=LessonTrace)
def get_trace(user: CurrentUser, platform: PlatformDep, slug: str = Slug) -> LessonTrace:
    """The lesson's trace for the stepper: per row its lines, lanes, tracker column and prediction."""
    return lesson_trace(exercise_or_404(platform, slug))


@router.post("/exercises/{slug}/predictions", response_model=PredictionFeedback, status_code=status.HTTP_201_CREATED)
def predict(
    body: PredictionCreate, user: CurrentUser, session: SessionDep, platform: PlatformDep, slug: str = Slug
) -> PredictionFeedback:
    """Predict a row's value before the stepper reveals it: says whether it was right. Stored."""
    exercise = exercise_or_404(platform, slug)
    assert user.id is not None
    try:
        return record_prediction(session, user_id=user.id, exercise=exercise, step=body.step, answer=body.answer)
    except PredictionUnknown as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None


@router.get("/exercises/{slug}/predictions", response_model=list[PredictionPublic])
def my_predictions(
    user: CurrentUser, session: SessionDep, platform: PlatformDep, slug: str = Slug
) -> list[PredictionPublic]:
    """Your predictions in this lesson, oldest first."""
    exercise = exercise_or_404(platform, slug)
    assert user.id is not None
    return predictions_of(session, user_id=user.id, slug=exercise.slug)


@router.post("/exercises/{slug}/stepping", response_model=SteppingRecorded)
def report_stepping(
    body: SteppingReport, user: CurrentUser, session: SessionDep, platform: PlatformDep, slug: str = Slug
) -> SteppingRecorded:
    """Record rows visited in the stepper (time on each, whether reached by stepping back)."""
    exercise = exercise_or_404(platform, slug)
    rows = len(exercise.execution_table)
    beyond = sorted({v.step for v in body.visits if v.step > rows})
    if beyond:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"visits.step: exercise {slug!r} has rows 1..{rows}, not {', '.join(map(str, beyond))}",
        )
    assert user.id is not None
    return SteppingRecorded(recorded=record_stepping(session, user_id=user.id, exercise=exercise, visits=body.visits))


@router.get("/instructor/exercises/{slug}/rows", response_model=list[RowAnalytics])
def get_row_analytics(
    user: InstructorOnly, session: SessionDep, platform: PlatformDep, slug: str = Slug
) -> list[RowAnalytics]:
    """Per execution-table row: prediction accuracy and stepping (visits, back-steps, time)."""
    return row_analytics(session, exercise=exercise_or_404(platform, slug))
