"""The instructor dashboard: JSON API, pages and the live WebSocket. Learners get 403, strangers 401 or sign-in."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode, urlsplit

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, WebSocket, WebSocketDisconnect, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from grader import Exercise, ExerciseError
from tracedojo.activity import ActivityFeed
from tracedojo.charts import quiz_choices_chart, stuck_steps_chart
from tracedojo.deps import InstructorOnly, OptionalUser, PlatformDep, SessionDep, authenticate
from tracedojo.exercise_stats import ExerciseStats, exercise_stats
from tracedojo.gradebook import (
    SORT_KEYS,
    GradebookFilter,
    GradebookRow,
    Progress,
    gradebook,
    gradebook_csv,
    select_rows,
)
from tracedojo.lessons import lesson_of
from tracedojo.models import (
    MAX_ID,
    Regrade,
    Role,
    Submission,
    SubmissionPublic,
    SubmissionResult,
    SubmissionStatus,
    User,
)
from tracedojo.platform_state import Platform
from tracedojo.regrade import RegradeReport, earlier_results, regrade_reports, start_regrade
from tracedojo.routes.learner import Slug, SubmissionId, exercise_or_404
from tracedojo.routes.pages import render
from tracedojo.security import CSRF_FIELD, csrf_valid
from tracedojo.timeline import TimelineEvent, learner_timeline
from tracedojo.trace_view import replay_context

log = logging.getLogger("tracedojo.instructor")

api = APIRouter(prefix="/api/instructor", tags=["instructor"])
pages = APIRouter(prefix="/instructor", include_in_schema=False)

UserId = Annotated[int, Path(ge=1, le=MAX_ID, description="a learner's id")]


def gradebook_filter(
    search: Annotated[str, Query(max_length=64, description="part of a username")] = "",
    exercise: Annotated[str | None, Query(max_length=64, description="judge progress in this exercise only")] = None,
    progress: Annotated[Progress, Query(description="which learners to show")] = Progress.ANY,
    sort: Annotated[str, Query(max_length=64, description=f"{', '.join(SORT_KEYS)} or a slug")] = "username",
    descending: bool = False,
) -> GradebookFilter:
    return GradebookFilter(
        search=search, exercise=exercise or None, progress=progress, sort=sort, descending=descending
    )


FilterDep = Annotated[GradebookFilter, Depends(gradebook_filter)]


def _gradebook(session: Session, platform: Platform, wanted: GradebookFilter) -> list[GradebookRow]:
    return select_rows(gradebook(session, exercises=platform.catalog.exercises), wanted)


# --- JSON API -----------------------------------------------------------------------------------


@api.get("/gradebook", response_model=list[GradebookRow])
def get_gradebook(
    user: InstructorOnly, session: SessionDep, platform: PlatformDep, wanted: FilterDep
) -> list[GradebookRow]:
    """Per learner, per exercise: quiz score, best code score, attempts, last activity; filtered and sorted."""
    return _gradebook(session, platform, wanted)


@api.get("/gradebook.csv", response_class=Response)
def get_gradebook_csv(user: InstructorOnly, session: SessionDep, platform: PlatformDep, wanted: FilterDep) -> Response:
    """The gradebook as CSV (UTF-8, header row, one row per learner), safe to open in a spreadsheet."""
    exercises = platform.catalog.exercises
    body = gradebook_csv(_gradebook(session, platform, wanted), exercises=exercises)
    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="tracedojo-gradebook-{stamp}.csv"'},
    )


@api.get("/exercises/{slug}/stats", response_model=ExerciseStats)
def get_stats(user: InstructorOnly, session: SessionDep, platform: PlatformDep, slug: str = Slug) -> ExerciseStats:
    """Per trace step: submissions that failed there first and their most common wrong replies; quiz item analysis."""
    return exercise_stats(session, exercise=exercise_or_404(platform, slug))


@api.get("/exercises/{slug}/stuck.svg", response_class=Response)
def get_stuck_chart(user: InstructorOnly, session: SessionDep, platform: PlatformDep, slug: str = Slug) -> Response:
    """Where learners get stuck, as an SVG bar chart (a bar per trace row)."""
    stats = exercise_stats(session, exercise=exercise_or_404(platform, slug))
    return Response(str(stuck_steps_chart(stats.steps)), media_type="image/svg+xml")


class RegradeQueued(BaseModel):
    id: int
    exercise: str
    version: str
    previous_version: str
    queued: int


def _regrade(session: Session, platform: Platform, *, slug: str, user: User) -> tuple[Regrade, str]:
    """Read the exercise file again, keep every current result and queue the submissions again."""
    previous = exercise_or_404(platform, slug)
    if platform.queue.unavailable is not None:
        # Regrading now would replace every result with "grading is unavailable".
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            f"grading is unavailable on this server, nothing was regraded: {platform.queue.unavailable}",
        )
    try:
        exercise = platform.catalog.reload(slug)
    except ExerciseError as exc:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"the exercise file is broken now, nothing was regraded: {exc}"
        ) from exc
    regrade, ids = start_regrade(session, exercise=exercise, requested_by=user.id)
    for submission_id in ids:
        platform.queue.enqueue(submission_id)
    return regrade, previous.version


@api.post("/exercises/{slug}/regrade", status_code=status.HTTP_202_ACCEPTED, response_model=RegradeQueued)
def regrade(user: InstructorOnly, session: SessionDep, platform: PlatformDep, slug: str = Slug) -> RegradeQueued:
    """Regrade every stored submission of the exercise against its file as it is now; earlier results are kept."""
    done, previous = _regrade(session, platform, slug=slug, user=user)
    assert done.id is not None
    return RegradeQueued(
        id=done.id,
        exercise=done.exercise_slug,
        version=done.exercise_version,
        previous_version=previous,
        queued=done.submissions,
    )


@api.get("/exercises/{slug}/regrades", response_model=list[RegradeReport])
def get_regrades(
    user: InstructorOnly,
    session: SessionDep,
    platform: PlatformDep,
    slug: str = Slug,
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
) -> list[RegradeReport]:
    """The latest regrades of the exercise: each regraded submission's result before and after."""
    exercise_or_404(platform, slug)
    return regrade_reports(session, slug=slug, limit=limit)


class EarlierResult(BaseModel):
    regrade_id: int
    replaced_at: datetime
    exercise_version: str
    status: SubmissionStatus
    score: float | None
    max_score: float
    message: str
    output: str
    steps: list[dict[str, Any]]
    graded_at: datetime | None


class SubmissionDetail(SubmissionPublic):
    user_id: int
    username: str
    code: str
    earlier_results: list[EarlierResult]


def _submission_or_404(session: Session, submission_id: int) -> tuple[Submission, User]:
    found = session.exec(
        select(Submission, User)
        .join(User, col(User.id) == col(Submission.user_id))
        .where(Submission.id == submission_id)
    ).first()
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no submission {submission_id}")
    return found


def _earlier(session: Session, submission_id: int) -> list[EarlierResult]:
    return [
        EarlierResult(
            regrade_id=regrade.id or 0,
            replaced_at=regrade.created_at,
            exercise_version=kept.exercise_version,
            status=kept.status,
            score=kept.score,
            max_score=kept.max_score,
            message=kept.message,
            output=kept.output,
            steps=kept.steps,
            graded_at=kept.graded_at,
        )
        for kept, regrade in earlier_results(session, submission_id=submission_id)
    ]


@api.get("/submissions/{submission_id}", response_model=SubmissionDetail)
def get_submission(submission_id: SubmissionId, user: InstructorOnly, session: SessionDep) -> SubmissionDetail:
    """Any submission: its code, result and every earlier result a regrade replaced."""
    row, owner = _submission_or_404(session, submission_id)
    assert owner.id is not None
    return SubmissionDetail(
        **SubmissionPublic.of(row).model_dump(),
        user_id=owner.id,
        username=owner.username,
        code=row.code,
        earlier_results=_earlier(session, submission_id),
    )


class LearnerTimeline(BaseModel):
    user_id: int
    username: str
    role: Role
    events: list[TimelineEvent]


def _learner_or_404(session: Session, user_id: int) -> User:
    found = session.get(User, user_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no user {user_id}")
    return found


@api.get("/learners/{user_id}/timeline", response_model=LearnerTimeline)
def get_timeline(user_id: UserId, user: InstructorOnly, session: SessionDep, platform: PlatformDep) -> LearnerTimeline:
    """A learner's quiz answers and submissions, oldest first."""
    learner = _learner_or_404(session, user_id)
    return LearnerTimeline(
        user_id=user_id,
        username=learner.username,
        role=learner.role,
        events=learner_timeline(session, user_id=user_id, catalog=platform.catalog),
    )


LIVE_POLL_SECONDS = 0.5
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


@api.websocket("/live")
async def live(websocket: WebSocket) -> None:
    """Activity as it happens: new submissions, graded ones, quiz answers; the cookie or ?token= signs in."""
    platform: Platform = websocket.app.state.platform
    with Session(platform.engine, expire_on_commit=False) as session:
        user, via = authenticate(websocket, session, platform)
    if via == "cookie" and not _same_origin(websocket):
        user = None  # browsers send the cookie with WebSockets opened by any page: only our own pages may use it
    await websocket.accept()
    if user is None:
        await websocket.close(CLOSE_UNAUTHENTICATED, "not signed in")
        return
    if not user.is_instructor:
        await websocket.close(CLOSE_FORBIDDEN, "instructors only")
        return
    feed = await run_in_threadpool(ActivityFeed, platform.engine)
    await websocket.send_json({"type": "hello", "poll_seconds": LIVE_POLL_SECONDS})
    pump = asyncio.create_task(_pump(websocket, feed))
    try:
        while True:
            await websocket.receive_text()  # nothing is expected; this notices the browser leaving
    except WebSocketDisconnect:
        pass
    finally:
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await pump


async def _pump(websocket: WebSocket, feed: ActivityFeed) -> None:
    while True:
        await asyncio.sleep(LIVE_POLL_SECONDS)
        try:
            activity = await run_in_threadpool(feed.poll)
        except Exception:  # a busy or restarting database: keep the dashboard connected, try again
            log.exception("reading the dashboard's activity failed")
            continue
        if activity is not None:
            await websocket.send_json(activity.model_dump(mode="json"))


def _same_origin(websocket: WebSocket) -> bool:
    origin = websocket.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == websocket.headers.get("host", "")


# --- Pages --------------------------------------------------------------------------------------


def _instructor(request: Request, user: User | None) -> User | Response:
    """The signed-in instructor, or the response for anyone else (sign in first, or 403)."""
    if user is None:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=status.HTTP_303_SEE_OTHER)
    if not user.is_instructor:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "These pages are for instructors.")
    return user


@pages.get("", response_class=HTMLResponse)
def gradebook_page(
    request: Request, user: OptionalUser, session: SessionDep, platform: PlatformDep, wanted: FilterDep
) -> Response:
    instructor = _instructor(request, user)
    if isinstance(instructor, Response):
        return instructor
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


@pages.get("/exercises/{slug}", response_class=HTMLResponse)
def exercise_page(
    slug: str,
    request: Request,
    user: OptionalUser,
    session: SessionDep,
    platform: PlatformDep,
    regraded: Annotated[int | None, Query(ge=1, description="the regrade just started")] = None,
) -> Response:
    instructor = _instructor(request, user)
    if isinstance(instructor, Response):
        return instructor
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
            "submissions": _recent_submissions(session, slug),
            "regrades": regrade_reports(session, slug=slug, limit=3),
            "regraded": regraded,
        },
        user=instructor,
    )


def _choices(exercise: Exercise, question_id: str) -> dict[str, str]:
    question = exercise.question(question_id)
    return dict(question.choices) if question else {}


def _recent_submissions(session: Session, slug: str, limit: int = 200) -> list[tuple[Submission, str]]:
    return [
        (row, username)
        for row, username in session.exec(
            select(Submission, User.username)
            .join(User, col(User.id) == col(Submission.user_id))
            .where(Submission.exercise_slug == slug)
            .order_by(col(Submission.id).desc())
            .limit(limit)
        ).all()
    ]


@pages.post("/exercises/{slug}/regrade", response_class=HTMLResponse)
async def regrade_form(
    slug: str, request: Request, user: OptionalUser, session: SessionDep, platform: PlatformDep
) -> Response:
    instructor = _instructor(request, user)
    if isinstance(instructor, Response):
        return instructor
    form = await request.form()
    token = form.get(CSRF_FIELD)
    if not csrf_valid(request.session, token if isinstance(token, str) else None):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "This form has expired (missing or wrong CSRF token). Reload the page and try again.",
        )
    done, _ = await run_in_threadpool(_regrade, session, platform, slug=slug, user=instructor)
    return RedirectResponse(
        f"/instructor/exercises/{slug}?regraded={done.id}#regrades", status_code=status.HTTP_303_SEE_OTHER
    )


@pages.get("/submissions/{submission_id}", response_class=HTMLResponse)
def submission_page(
    submission_id: SubmissionId, request: Request, user: OptionalUser, session: SessionDep, platform: PlatformDep
) -> Response:
    instructor = _instructor(request, user)
    if isinstance(instructor, Response):
        return instructor
    row, owner = _submission_or_404(session, submission_id)
    exercise = platform.catalog.get(row.exercise_slug)
    earlier = earlier_results(session, submission_id=submission_id)
    return render(
        request,
        "instructor/submission.html",
        {
            "submission": SubmissionPublic.of(row),
            "row": row,
            "owner": owner,
            "lesson": lesson_of(exercise) if exercise else None,
            "steps": {int(s["n"]): s for s in row.steps if isinstance(s, dict) and "n" in s},
            "earlier": [(kept, regrade, _step_statuses(kept)) for kept, regrade in reversed(earlier)],
            "attempts": _attempts(session, user_id=row.user_id, slug=row.exercise_slug),
            **replay_context(exercise, row.steps, row.code, final=SubmissionStatus(row.status).final),
        },
        user=instructor,
    )


def _step_statuses(kept: SubmissionResult) -> dict[int, str]:
    return {int(s["n"]): str(s.get("status", "")) for s in kept.steps if isinstance(s, dict) and "n" in s}


def _attempts(session: Session, *, user_id: int, slug: str) -> list[Submission]:
    return list(
        session.exec(
            select(Submission)
            .where(Submission.user_id == user_id, Submission.exercise_slug == slug)
            .order_by(col(Submission.id).desc())
        ).all()
    )


@pages.get("/learners/{user_id}", response_class=HTMLResponse)
def learner_page(
    user_id: UserId, request: Request, user: OptionalUser, session: SessionDep, platform: PlatformDep
) -> Response:
    instructor = _instructor(request, user)
    if isinstance(instructor, Response):
        return instructor
    learner = _learner_or_404(session, user_id)
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


router = APIRouter()
router.include_router(api)
router.include_router(pages)
