"""The instructor dashboard's JSON API and live WebSocket. Learners get 403 (4403), strangers 401 (4401)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect, status
from fastapi.responses import Response
from pydantic import BaseModel
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from tracedojo.activity import ActivityFeed
from tracedojo.charts import stuck_steps_chart
from tracedojo.deps import (
    GradebookFilterDep,
    InstructorOnly,
    PlatformDep,
    SessionDep,
    Slug,
    SubmissionId,
    UserId,
    WebSocketCaller,
    admit,
    exercise_or_404,
    submission_and_owner_or_404,
    user_or_404,
)
from tracedojo.exercise_stats import ExerciseStats, exercise_stats
from tracedojo.gradebook import GradebookFilter, GradebookRow, gradebook, gradebook_csv, select_rows
from tracedojo.models import Role, SubmissionPublic, SubmissionStatus
from tracedojo.platform_state import Platform
from tracedojo.regrade import RegradeReport, earlier_results, regrade_exercise, regrade_reports
from tracedojo.timeline import TimelineEvent, learner_timeline

log = logging.getLogger("tracedojo.instructor")

router = APIRouter(prefix="/api/instructor", tags=["instructor"])


def _gradebook(session: Session, platform: Platform, wanted: GradebookFilter) -> list[GradebookRow]:
    return select_rows(gradebook(session, exercises=platform.catalog.exercises), wanted)


@router.get("/gradebook", response_model=list[GradebookRow])
def get_gradebook(
    user: InstructorOnly, session: SessionDep, platform: PlatformDep, wanted: GradebookFilterDep
) -> list[GradebookRow]:
    """Per learner, per exercise: quiz score, best code score, attempts, last activity; filtered and sorted."""
    return _gradebook(session, platform, wanted)


@router.get("/gradebook.csv", response_class=Response)
def get_gradebook_csv(
    user: InstructorOnly, session: SessionDep, platform: PlatformDep, wanted: GradebookFilterDep
) -> Response:
    """The gradebook as CSV (UTF-8, header row, one row per learner), safe to open in a spreadsheet."""
    exercises = platform.catalog.exercises
    body = gradebook_csv(_gradebook(session, platform, wanted), exercises=exercises)
    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="tracedojo-gradebook-{stamp}.csv"'},
    )


@router.get("/exercises/{slug}/stats", response_model=ExerciseStats)
def get_stats(user: InstructorOnly, session: SessionDep, platform: PlatformDep, slug: str = Slug) -> ExerciseStats:
    """Per trace step: submissions that failed there first and their most common wrong replies; quiz item analysis."""
    return exercise_stats(session, exercise=exercise_or_404(platform, slug))


@router.get("/exercises/{slug}/stuck.svg", response_class=Response)
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


@router.post("/exercises/{slug}/regrade", status_code=status.HTTP_202_ACCEPTED, response_model=RegradeQueued)
def regrade(user: InstructorOnly, session: SessionDep, platform: PlatformDep, slug: str = Slug) -> RegradeQueued:
    """Regrade every stored submission of the exercise against its file as it is now; earlier results are kept."""
    done, previous = regrade_exercise(session, platform, slug=slug, user=user)
    assert done.id is not None
    return RegradeQueued(
        id=done.id,
        exercise=done.exercise_slug,
        version=done.exercise_version,
        previous_version=previous,
        queued=done.submissions,
    )


@router.get("/exercises/{slug}/regrades", response_model=list[RegradeReport])
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


@router.get("/submissions/{submission_id}", response_model=SubmissionDetail)
def get_submission(submission_id: SubmissionId, user: InstructorOnly, session: SessionDep) -> SubmissionDetail:
    """Any submission: its code, result and every earlier result a regrade replaced."""
    row, owner = submission_and_owner_or_404(session, submission_id)
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


@router.get("/learners/{user_id}/timeline", response_model=LearnerTimeline)
def get_timeline(user_id: UserId, user: InstructorOnly, session: SessionDep, platform: PlatformDep) -> LearnerTimeline:
    """A learner's quiz answers and submissions, oldest first."""
    learner = user_or_404(session, user_id)
    return LearnerTimeline(
        user_id=user_id,
        username=learner.username,
        role=learner.role,
        events=learner_timeline(session, user_id=user_id, catalog=platform.catalog),
    )


LIVE_POLL_SECONDS = 0.5


@router.websocket("/live")
async def live(websocket: WebSocket, caller: WebSocketCaller) -> None:
    """Activity as it happens: new submissions, graded ones, quiz answers; the cookie or ?token= signs in."""
    platform: Platform = websocket.app.state.platform
    if await admit(websocket, caller, instructors_only=True) is None:
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
