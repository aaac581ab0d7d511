"""The learner's JSON API: lessons, quiz answers, submissions and their live grading."""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import APIRouter, HTTPException, Path, WebSocket, WebSocketDisconnect, status
from sqlmodel import Session

from tracedojo.deps import (
    CLOSE_NOT_FOUND,
    CurrentUser,
    PlatformDep,
    SessionDep,
    Slug,
    SubmissionId,
    WebSocketCaller,
    admit,
    exercise_or_404,
)
from tracedojo.lessons import LessonPublic, lesson_of
from tracedojo.live import LiveSource
from tracedojo.models import Submission, SubmissionCreate, SubmissionPublic, SubmissionQueued, SubmissionStatus
from tracedojo.platform_state import Platform
from tracedojo.progress import ExerciseListing, listing
from tracedojo.quiz import QuizChoice, QuizFeedback, record_answer
from tracedojo.submissions import CodeTooLarge, public_with_queue, submit, visible_submission

router = APIRouter(prefix="/api", tags=["learner"])


@router.get("/exercises", response_model=list[ExerciseListing])
def list_exercises(user: CurrentUser, session: SessionDep, platform: PlatformDep) -> list[ExerciseListing]:
    """The curriculum with your progress in each exercise."""
    assert user.id is not None
    return listing(session, user_id=user.id, exercises=platform.catalog.exercises)


@router.get("/exercises/{slug}", response_model=LessonPublic)
def get_exercise(user: CurrentUser, platform: PlatformDep, slug: str = Slug) -> LessonPublic:
    """The lesson: every section of the trace; quiz questions without their answers."""
    return lesson_of(exercise_or_404(platform, slug))


@router.post("/exercises/{slug}/quiz/{question_id}", response_model=QuizFeedback, response_model_exclude_none=True)
def answer_question(
    body: QuizChoice,
    user: CurrentUser,
    session: SessionDep,
    platform: PlatformDep,
    slug: str = Slug,
    question_id: str = Path(max_length=64),
) -> QuizFeedback:
    """Answer a quiz question: says whether it is right, with a hint or the explanation. Stored."""
    exercise = exercise_or_404(platform, slug)
    question = exercise.question(question_id)
    if question is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"exercise {slug!r} has no quiz question {question_id!r}")
    choice = body.choice.upper()
    if choice not in question.choices:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"choice {body.choice!r} is not one of {', '.join(question.choices)}",
        )
    assert user.id is not None
    feedback = record_answer(session, user_id=user.id, exercise=exercise, question=question, choice=choice)
    if feedback.first_try:  # first answers make a Quiz assignment's grade, which may go to an LMS
        platform.passback.worked(user_id=user.id, slug=exercise.slug)
    return feedback


@router.post("/exercises/{slug}/submissions", status_code=status.HTTP_202_ACCEPTED, response_model=SubmissionQueued)
def create(
    body: SubmissionCreate, user: CurrentUser, session: SessionDep, platform: PlatformDep, slug: str = Slug
) -> SubmissionQueued:
    """Submit code for grading: stored as queued, graded in the background."""
    exercise = exercise_or_404(platform, slug)
    try:
        row = submit(session, platform, user=user, exercise=exercise, code=body.code)
    except CodeTooLarge as exc:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, str(exc)) from exc
    assert row.id is not None
    return SubmissionQueued(id=row.id, status=SubmissionStatus.QUEUED)


@router.get("/submissions/{submission_id}", response_model=SubmissionPublic)
def get_submission(submission_id: SubmissionId, user: CurrentUser, session: SessionDep) -> SubmissionPublic:
    """A submission's status and results (yours, or any for an instructor)."""
    row = visible_submission(session, user=user, submission_id=submission_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no submission {submission_id}")
    return public_with_queue(session, row)


@router.websocket("/submissions/{submission_id}/live")
async def live(websocket: WebSocket, submission_id: SubmissionId, caller: WebSocketCaller) -> None:
    """One message per step as it is graded, then the final result; the cookie or ?token= signs in."""
    platform: Platform = websocket.app.state.platform
    user = await admit(websocket, caller)
    if user is None:
        return

    def look_up() -> Submission | None:
        with Session(platform.engine, expire_on_commit=False) as session:
            return visible_submission(session, user=user, submission_id=submission_id)

    row = await asyncio.to_thread(look_up)
    if row is None:
        await websocket.close(CLOSE_NOT_FOUND, f"no submission {submission_id}")
        return
    # The client has nothing to say, but listening is how a departure is noticed while grading is
    # still queued: without it the handler would wait for the result only to write to a closed socket.
    forward = asyncio.create_task(_forward_events(websocket, platform, submission_id))
    departure = asyncio.create_task(_until_disconnect(websocket))
    try:
        done, _ = await asyncio.wait({forward, departure}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (forward, departure):
            task.cancel()
        await asyncio.gather(forward, departure, return_exceptions=True)
    if forward in done and forward.exception() is None:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            await websocket.close()


async def _forward_events(websocket: WebSocket, platform: Platform, submission_id: int) -> None:
    source = LiveSource(platform.hub, platform.engine, quiet_check=platform.settings.live_quiet_check)
    async with contextlib.aclosing(source.events(submission_id)) as events:
        async for event in events:
            await websocket.send_json(event.model_dump(mode="json"))


async def _until_disconnect(websocket: WebSocket) -> None:
    while (await websocket.receive())["type"] != "websocket.disconnect":
        pass  # whatever the client sends is ignored
