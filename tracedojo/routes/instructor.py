"""The instructor dashboard's pages (their JSON twin is ``instructor_api``). Learners get 403, strangers sign in."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from grader import Exercise
from tracedojo.charts import quiz_choices_chart, stuck_steps_chart
from tracedojo.deps import (
    CheckedForm,
    GradebookFilterDep,
    InstructorPage,
    PlatformDep,
    SessionDep,
    SubmissionId,
    UserId,
    exercise_or_404,
    submission_and_owner_or_404,
    user_or_404,
)
from tracedojo.exercise_stats import exercise_stats
from tracedojo.gradebook import SORT_KEYS, GradebookFilter, Progress, gradebook, select_rows
from tracedojo.lessons import lesson_of
from tracedojo.mode_stats import mode_stats
from tracedojo.models import SubmissionPublic, SubmissionResult, SubmissionStatus
from tracedojo.regrade import earlier_results, regrade_exercise, regrade_reports
from tracedojo.submissions import attempts, recent_with_usernames
from tracedojo.timeline import learner_timeline
from tracedojo.trace_view import replay_context
from tracedojo.views import render

router = APIRouter(prefix="/instructor", include_in_schema=False)


@router.get("", response_class=HTMLResponse)
def gradebook_page(
    request: Request, instructor: InstructorPage, session: SessionDep, platform: PlatformDep, wanted: GradebookFilterDep
) -> Response:
    everyone = gradebook(session, exercises=platform.catalog.exercises)
    rows = select_rows(everyone, wanted)
    query = {k: v for k, v in request.query_params.items() if k in GradebookFilter.QUERY}
    return render(
        request,
        "instructor/gradebook.html",
        {
            "rows": rows,
            "learners": len(everyone),
            "exercises": platform.catalog.exercises,
            "wanted": wanted,
            "progress_choices": list(Progress),
            "sort_keys": SORT_KEYS,
            "csv_url": "/api/instructor/gradebook.csv" + (f"?{urlencode(query)}" if query else ""),
        },
        user=instructor,
    )


@router.get("/exercises/{slug}", response_class=HTMLResponse)
def exercise_page(
    slug: str,
    request: Request,
    instructor: InstructorPage,
    session: SessionDep,
    platform: PlatformDep,
    regraded: Annotated[int | None, Query(ge=1, description="the regrade just started")] = None,
) -> Response:
    exercise = exercise_or_404(platform, slug)
    stats = exercise_stats(session, exercise=exercise)
    return render(
        request,
        "instructor/exercise.html",
        {
            "exercise": exercise,
            "stats": stats,
            "chart": stuck_steps_chart(stats.steps),
            "quiz_charts": {q.id: quiz_choices_chart(q, _choices(exercise, q.id)) for q in stats.quiz},
            "submissions": recent_with_usernames(session, slug),
            "regrades": regrade_reports(session, slug=slug, limit=3),
            "regraded": regraded,
            "mode_stats": mode_stats(session, exercise=exercise),
        },
        user=instructor,
    )


def _choices(exercise: Exercise, question_id: str) -> dict[str, str]:
    question = exercise.question(question_id)
    return dict(question.choices) if question else {}


@router.post("/exercises/{slug}/regrade", response_class=HTMLResponse)
async def regrade_form(
    slug: str, instructor: InstructorPage, form: CheckedForm, session: SessionDep, platform: PlatformDep
) -> Response:
    done, _ = await run_in_threadpool(regrade_exercise, session, platform, slug=slug, user=instructor)
    return RedirectResponse(
        f"/instructor/exercises/{slug}?regraded={done.id}#regrades", status_code=status.HTTP_303_SEE_OTHER
    )


@router.get("/submissions/{submission_id}", response_class=HTMLResponse)
def submission_page(
    submission_id: SubmissionId,
    request: Request,
    instructor: InstructorPage,
    session: SessionDep,
    platform: PlatformDep,
) -> Response:
    row, owner = submission_and_owner_or_404(session, submission_id)
    exercise = platform.catalog.get(row.exercise_slug)
    earlier = earlier_results(session, submission_id=submission_id)
    result = SubmissionPublic.of(row)
    return render(
        request,
        "instructor/submission.html",
        {
            "submission": result,
            "row": row,
            "owner": owner,
            "lesson": lesson_of(exercise) if exercise else None,
            "steps": {step.n: step for step in result.steps},
            "earlier": [(kept, regrade, _step_statuses(kept)) for kept, regrade in reversed(earlier)],
            "attempts": attempts(session, user_id=row.user_id, slug=row.exercise_slug),
            **replay_context(exercise, row.steps, row.code, final=SubmissionStatus(row.status).final),
        },
        user=instructor,
    )


def _step_statuses(kept: SubmissionResult) -> dict[int, str]:
    return {step.n: str(step.status) for step in kept.step_results}


@router.get("/learners/{user_id}", response_class=HTMLResponse)
def learner_page(
    user_id: UserId, request: Request, instructor: InstructorPage, session: SessionDep, platform: PlatformDep
) -> Response:
    learner = user_or_404(session, user_id)
    row = next((r for r in gradebook(session, exercises=platform.catalog.exercises) if r.user_id == user_id), None)
    return render(
        request,
        "instructor/learner.html",
        {
            "learner": learner,
            "row": row,
            "exercises": platform.catalog.exercises,
            "events": list(reversed(learner_timeline(session, user_id=user_id, catalog=platform.catalog))),
        },
        user=instructor,
    )
