"""The lesson's modes: their JSON API (the puzzles, graded attempts, instructor statistics) and the pages
of Parsons, fill in the blanks and fix the bug."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request, status
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from sqlmodel import Session, col, select

from grader import Exercise
from tracedojo.deps import CurrentUser, InstructorOnly, PageUser, PlatformDep, SessionDep, Slug, exercise_or_404
from tracedojo.lessons import lesson_of
from tracedojo.mode_attempts import ModeAttempt, ModeAttemptPublic, attempts_of, settle, visible_attempt
from tracedojo.mode_puzzles import (
    BLANKS,
    FIX,
    PARSONS,
    AnswerError,
    BlanksAnswer,
    BlanksPuzzle,
    FixAnswer,
    FixPuzzle,
    ParsonsAnswer,
    ParsonsPuzzle,
    attempt_public,
    blanks_code,
    blanks_puzzle,
    fix_puzzle,
    parsons_code,
    parsons_puzzle,
    seed_of,
    submit_attempt,
    variant_of,
)
from tracedojo.mode_stats import ModeStats, mode_stats
from tracedojo.models import MAX_ID, Submission, SubmissionCreate, User
from tracedojo.modes import GRADED_MODES, ModeView, lesson_modes
from tracedojo.platform_state import Platform
from tracedojo.submissions import CodeTooLarge
from tracedojo.trace_view import script_json
from tracedojo.views import render

api = APIRouter(prefix="/api", tags=["modes"])
pages = APIRouter(include_in_schema=False)

AttemptId = Annotated[int, Path(ge=1, le=MAX_ID, description="a mode attempt's id")]
ModeKey = Annotated[str, Path(max_length=16, description=f"one of {', '.join(GRADED_MODES)}")]


def _unprocessable(exc: AnswerError) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc))


def _failed_tries(attempts: list[ModeAttempt]) -> int:
    return sum(a.passed is False for a in attempts)


def _publics(session: Session, exercise: Exercise, rows: list[ModeAttempt]) -> list[ModeAttemptPublic]:
    submissions = settle(session, rows)
    return [attempt_public(exercise, row, submissions.get(row.submission_id or 0)) for row in rows]


def _submit(
    session: Session,
    platform: Platform,
    *,
    user: User,
    exercise: Exercise,
    mode: str,
    code: str,
    detail: dict[str, Any],
    variant: str = "",
) -> ModeAttemptPublic:
    try:
        row = submit_attempt(
            session, platform, user=user, exercise=exercise, mode=mode, code=code, variant=variant, detail=detail
        )
    except CodeTooLarge as exc:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, str(exc)) from exc
    submission = session.get(Submission, row.submission_id) if row.submission_id else None
    return attempt_public(exercise, row, submission)


def _fix_puzzle(session: Session, exercise: Exercise, user_id: int) -> FixPuzzle:
    attempts = attempts_of(session, user_id=user_id, slug=exercise.slug, mode=FIX)
    ids = [a.submission_id for a in attempts if a.submission_id is not None]
    codes = {
        sid: code
        for sid, code in session.exec(select(Submission.id, Submission.code).where(col(Submission.id).in_(ids))).all()
        if sid is not None
    }
    return fix_puzzle(exercise, user_id=user_id, attempts=attempts, latest_code=codes)


# --- JSON API -----------------------------------------------------------------------------------------


@api.get("/exercises/{slug}/modes", response_model=list[ModeView])
def get_modes(user: CurrentUser, session: SessionDep, platform: PlatformDep, slug: str = Slug) -> list[ModeView]:
    """The lesson's ways to learn, in the suggested order, with your progress in each."""
    exercise = exercise_or_404(platform, slug)
    assert user.id is not None
    return lesson_modes(session, user_id=user.id, exercise=exercise)


@api.get("/exercises/{slug}/modes/parsons", response_model=ParsonsPuzzle)
def get_parsons(user: CurrentUser, session: SessionDep, platform: PlatformDep, slug: str = Slug) -> ParsonsPuzzle:
    """Your Parsons puzzle: the program's blocks shuffled, distractors among them, and the help earned."""
    exercise = exercise_or_404(platform, slug)
    assert user.id is not None
    tried = attempts_of(session, user_id=user.id, slug=slug, mode=PARSONS)
    return parsons_puzzle(exercise, user_id=user.id, failed_tries=_failed_tries(tried))


@api.post(
    "/exercises/{slug}/modes/parsons/attempts", response_model=ModeAttemptPublic, status_code=status.HTTP_202_ACCEPTED
)
def post_parsons(
    body: ParsonsAnswer, user: CurrentUser, session: SessionDep, platform: PlatformDep, slug: str = Slug
) -> ModeAttemptPublic:
    """Submit your blocks in order with their indentation: the program they spell is graded."""
    exercise = exercise_or_404(platform, slug)
    assert user.id is not None
    try:
        code, detail = parsons_code(exercise, user_id=user.id, answer=body)
    except AnswerError as exc:
        raise _unprocessable(exc) from None
    seed = str(seed_of(user.id, exercise.slug, PARSONS))
    return _submit(
        session, platform, user=user, exercise=exercise, mode=PARSONS, code=code, detail=detail, variant=seed
    )


@api.get("/exercises/{slug}/modes/blanks", response_model=BlanksPuzzle)
def get_blanks(user: CurrentUser, platform: PlatformDep, slug: str = Slug) -> BlanksPuzzle:
    """The sample with its key parts blanked."""
    return blanks_puzzle(exercise_or_404(platform, slug))


@api.post(
    "/exercises/{slug}/modes/blanks/attempts", response_model=ModeAttemptPublic, status_code=status.HTTP_202_ACCEPTED
)
def post_blanks(
    body: BlanksAnswer, user: CurrentUser, session: SessionDep, platform: PlatformDep, slug: str = Slug
) -> ModeAttemptPublic:
    """Submit the code for every blank: the filled-in program is graded (an equivalent answer passes)."""
    exercise = exercise_or_404(platform, slug)
    try:
        code, detail = blanks_code(exercise, body)
    except AnswerError as exc:
        raise _unprocessable(exc) from None
    return _submit(session, platform, user=user, exercise=exercise, mode=BLANKS, code=code, detail=detail)


@api.get("/exercises/{slug}/modes/fix", response_model=FixPuzzle)
def get_fix(user: CurrentUser, session: SessionDep, platform: PlatformDep, slug: str = Slug) -> FixPuzzle:
    """Your bug to fix: one of the lesson's known-wrong endpoints (another one after each fix)."""
    exercise = exercise_or_404(platform, slug)
    assert user.id is not None
    return _fix_puzzle(session, exercise, user.id)


@api.post(
    "/exercises/{slug}/modes/fix/attempts", response_model=ModeAttemptPublic, status_code=status.HTTP_202_ACCEPTED
)
def post_fix(
    body: FixAnswer, user: CurrentUser, session: SessionDep, platform: PlatformDep, slug: str = Slug
) -> ModeAttemptPublic:
    """Submit your fixed endpoint for the puzzle's variant: graded like written code."""
    exercise = exercise_or_404(platform, slug)
    try:
        variant = variant_of(exercise, body.variant)
        code = SubmissionCreate.model_validate({"code": body.code}).code
    except AnswerError as exc:
        raise _unprocessable(exc) from None
    except ValueError as exc:
        problem = str(exc).split("Value error, ")[-1].splitlines()[0]
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"code: {problem}") from None
    return _submit(
        session, platform, user=user, exercise=exercise, mode=FIX, code=code, variant=variant.file, detail={}
    )


@api.get("/exercises/{slug}/modes/{mode}/attempts", response_model=list[ModeAttemptPublic])
def get_attempts(
    mode: ModeKey, user: CurrentUser, session: SessionDep, platform: PlatformDep, slug: str = Slug
) -> list[ModeAttemptPublic]:
    """Your attempts in one graded mode of the lesson, oldest first."""
    exercise = exercise_or_404(platform, slug)
    if mode not in GRADED_MODES:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no graded mode {mode!r}; the modes: {', '.join(GRADED_MODES)}")
    assert user.id is not None
    return _publics(session, exercise, attempts_of(session, user_id=user.id, slug=slug, mode=mode))


@api.get("/mode-attempts/{attempt_id}", response_model=ModeAttemptPublic)
def get_attempt(
    attempt_id: AttemptId, user: CurrentUser, session: SessionDep, platform: PlatformDep
) -> ModeAttemptPublic:
    """One attempt (yours, or any for an instructor) with its verdict and feedback."""
    row = visible_attempt(session, user=user, attempt_id=attempt_id)
    if row is None or row.submission_id is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no mode attempt {attempt_id}")
    return attempt_public(platform.catalog.get(row.exercise_slug), row, session.get(Submission, row.submission_id))


@api.get("/instructor/exercises/{slug}/modes", response_model=ModeStats)
def get_mode_stats(user: InstructorOnly, session: SessionDep, platform: PlatformDep, slug: str = Slug) -> ModeStats:
    """Per graded mode: learners, attempts, pass rate; Parsons distractors chosen, wrong fills, fixes per variant."""
    return mode_stats(session, exercise=exercise_or_404(platform, slug))


# --- Pages --------------------------------------------------------------------------------------------


def _lesson_or_404(platform: Platform, slug: str) -> Exercise:
    return exercise_or_404(platform, slug, missing=f"There is no lesson {slug[:64]!r}; the curriculum lists them all.")


def _mode_page(
    request: Request,
    user: User,
    session: Session,
    exercise: Exercise,
    *,
    mode: str,
    template: str,
    puzzle: BaseModel,
) -> HTMLResponse:
    assert user.id is not None
    rows = attempts_of(session, user_id=user.id, slug=exercise.slug, mode=mode)
    return render(
        request,
        template,
        {
            "lesson": lesson_of(exercise),
            "mode": mode,
            "puzzle": puzzle,
            "puzzle_json": script_json(puzzle),
            "mode_attempts": list(reversed(_publics(session, exercise, rows))),
        },
        user=user,
    )


@pages.get("/exercises/{slug}/parsons", response_class=HTMLResponse)
def parsons_page(slug: str, request: Request, user: PageUser, session: SessionDep, platform: PlatformDep) -> Response:
    exercise = _lesson_or_404(platform, slug)
    assert user.id is not None
    tried = attempts_of(session, user_id=user.id, slug=slug, mode=PARSONS)
    puzzle = parsons_puzzle(exercise, user_id=user.id, failed_tries=_failed_tries(tried))
    return _mode_page(request, user, session, exercise, mode=PARSONS, template="mode_parsons.html", puzzle=puzzle)


@pages.get("/exercises/{slug}/blanks", response_class=HTMLResponse)
def blanks_page(slug: str, request: Request, user: PageUser, session: SessionDep, platform: PlatformDep) -> Response:
    exercise = _lesson_or_404(platform, slug)
    return _mode_page(
        request, user, session, exercise, mode=BLANKS, template="mode_blanks.html", puzzle=blanks_puzzle(exercise)
    )


@pages.get("/exercises/{slug}/fix", response_class=HTMLResponse)
def fix_page(slug: str, request: Request, user: PageUser, session: SessionDep, platform: PlatformDep) -> Response:
    exercise = _lesson_or_404(platform, slug)
    assert user.id is not None
    puzzle = _fix_puzzle(session, exercise, user.id)
    return _mode_page(request, user, session, exercise, mode=FIX, template="mode_fix.html", puzzle=puzzle)
