"""Predict mode: the JSON API (runs, answers, scores) and the page that walks a run row by row."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from grader import Exercise
from tracedojo.deps import CheckedForm, CurrentUser, PageUser, PlatformDep, SessionDep, Slug, exercise_or_404
from tracedojo.models import MAX_ID, User
from tracedojo.platform_state import Platform
from tracedojo.predict_mode import (
    AnswerFeedback,
    NothingToPredict,
    PredictAnswerCreate,
    PredictRun,
    PredictSummary,
    RunNotOpen,
    RunPublic,
    StepNotInRun,
    answer_in_run,
    predict_progress,
    predictable_rows,
    public_run,
    run_of,
    runs_of,
    start_run,
    summary,
)
from tracedojo.stepping import MAX_ANSWER
from tracedojo.trace_view import code_lines, prediction_for
from tracedojo.views import render

api = APIRouter(prefix="/api/exercises", tags=["predict"])
pages = APIRouter(include_in_schema=False)

RUNS_SHOWN = 10  # on the page, newest first
RunId = Annotated[int, Path(ge=1, le=MAX_ID, description="a predict run's id")]


def _run_or_404(session: Session, user: User, slug: str, run_id: int) -> PredictRun:
    assert user.id is not None
    run = run_of(session, user_id=user.id, slug=slug, run_id=run_id)
    if run is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"you have no predict run {run_id} in exercise {slug!r}")
    return run


def _answer(
    session: Session, platform: Platform, run: PredictRun, exercise: Exercise, body: PredictAnswerCreate
) -> AnswerFeedback:
    try:
        feedback = answer_in_run(session, run=run, exercise=exercise, step=body.step, answer=body.answer)
    except RunNotOpen as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    except StepNotInRun as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    if feedback.run.finished:  # a finished run may be the best work of a Predict assignment linked to an LMS
        platform.passback.worked(user_id=run.user_id, slug=exercise.slug)
    return feedback


@api.get("/{slug}/predict", response_model=PredictSummary)
def get_predict(user: CurrentUser, session: SessionDep, platform: PlatformDep, slug: str = Slug) -> PredictSummary:
    """The rows to predict (without answers), your runs newest first and your best score."""
    assert user.id is not None
    return summary(session, user_id=user.id, exercise=exercise_or_404(platform, slug))


@api.post("/{slug}/predict/runs", response_model=RunPublic, status_code=status.HTTP_201_CREATED)
def create_run(user: CurrentUser, session: SessionDep, platform: PlatformDep, slug: str = Slug) -> RunPublic:
    """Start a Predict run: every row that asks for a prediction, once each."""
    exercise = exercise_or_404(platform, slug)
    assert user.id is not None
    try:
        return public_run(session, start_run(session, user_id=user.id, exercise=exercise), exercise)
    except NothingToPredict as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None


@api.get("/{slug}/predict/runs/{run_id}", response_model=RunPublic)
def get_run(
    run_id: RunId, user: CurrentUser, session: SessionDep, platform: PlatformDep, slug: str = Slug
) -> RunPublic:
    """One of your runs: its answers, what was expected, its score once finished."""
    exercise = exercise_or_404(platform, slug)
    return public_run(session, _run_or_404(session, user, slug, run_id), exercise)


@api.post("/{slug}/predict/runs/{run_id}/answers", response_model=AnswerFeedback, status_code=status.HTTP_201_CREATED)
def answer_row(
    run_id: RunId,
    body: PredictAnswerCreate,
    user: CurrentUser,
    session: SessionDep,
    platform: PlatformDep,
    slug: str = Slug,
) -> AnswerFeedback:
    """Predict one row of the run: judged as the stepper judges, stored, the run's score once finished."""
    exercise = exercise_or_404(platform, slug)
    return _answer(session, platform, _run_or_404(session, user, slug, run_id), exercise, body)


# --- the page ---------------------------------------------------------------------------------------


def _lesson_or_404(platform: PlatformDep, slug: str) -> Exercise:
    return exercise_or_404(platform, slug, missing=f"There is no lesson {slug[:64]!r}; the curriculum lists them all.")


def _page(
    request: Request,
    user: User,
    session: Session,
    exercise: Exercise,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    assert user.id is not None
    runs = runs_of(session, user_id=user.id, slug=exercise.slug)
    current = public_run(session, runs[0], exercise) if runs else None
    rows = {row.n: row for row in exercise.execution_table}
    asking = None
    if current is not None and current.next_step is not None:
        prediction = prediction_for(exercise, current.next_step)
        asking = prediction.public() if prediction else None
    last = current.answers[-1] if current and current.answers else None
    shown = [current] + [public_run(session, run, exercise) for run in runs[1:RUNS_SHOWN]] if current else []
    return render(
        request,
        "predict.html",
        {
            "lesson": exercise,
            "run": current,
            "asking": asking,
            "row": rows.get(current.next_step) if current and current.next_step else None,
            "last": last,
            "last_row": rows.get(last.step) if last else None,
            "rows": rows,
            "rows_to_predict": len(predictable_rows(exercise)),
            "progress": predict_progress(session, user_id=user.id, slugs=[exercise.slug])[exercise.slug],
            "finished_runs": [r for r in shown if r.finished],
            "sample": code_lines(exercise.sample.code),
            "error": error,
        },
        user=user,
        status_code=status_code,
    )


@pages.get("/exercises/{slug}/predict", response_class=HTMLResponse)
def predict_page(slug: str, request: Request, user: PageUser, session: SessionDep, platform: PlatformDep) -> Response:
    return _page(request, user, session, _lesson_or_404(platform, slug))


@pages.post("/exercises/{slug}/predict/runs", response_class=HTMLResponse)
async def start_run_form(
    slug: str, request: Request, user: PageUser, form: CheckedForm, session: SessionDep, platform: PlatformDep
) -> Response:
    exercise = _lesson_or_404(platform, slug)
    assert user.id is not None
    try:
        start_run(session, user_id=user.id, exercise=exercise)
    except NothingToPredict as exc:
        return _page(request, user, session, exercise, error=str(exc).capitalize() + ".", status_code=409)
    return RedirectResponse(f"/exercises/{slug}/predict", status_code=status.HTTP_303_SEE_OTHER)


@pages.post("/exercises/{slug}/predict/runs/{run_id}", response_class=HTMLResponse)
async def answer_form(
    slug: str,
    run_id: RunId,
    request: Request,
    user: PageUser,
    form: CheckedForm,
    session: SessionDep,
    platform: PlatformDep,
) -> Response:
    exercise = _lesson_or_404(platform, slug)
    run = _run_or_404(session, user, slug, run_id)
    try:
        body = PredictAnswerCreate.model_validate({"step": form.get("step", ""), "answer": form.get("answer", "")})
    except ValidationError as exc:
        problem = exc.errors()[0]
        field = str(problem["loc"][0]) if problem["loc"] else "answer"
        if field != "answer":
            message = "That row is not part of this run."
        elif not form.get("answer", "").strip():
            message = "Choose or type your prediction first."
        else:
            message = (
                f"Your prediction is longer than {MAX_ANSWER} characters; no value in this trace is."
                if problem["type"] == "string_too_long"
                else f"Your prediction {str(problem['msg']).removeprefix('Value error, ')}."
            )
        return _page(request, user, session, exercise, error=message, status_code=status.HTTP_400_BAD_REQUEST)
    try:
        _answer(session, platform, run, exercise, body)
    except HTTPException as exc:
        return _page(request, user, session, exercise, error=str(exc.detail).capitalize() + ".", status_code=400)
    return RedirectResponse(f"/exercises/{slug}/predict", status_code=status.HTTP_303_SEE_OTHER)
