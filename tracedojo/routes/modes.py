"""The lesson's modes: their JSON API (the puzzles, graded attempts, instructor statistics) and the pages
of Parsons, fill in the blanks and fix the bug."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic import Field as PydanticField
from sqlmodel import Session, col, select

from grader import Exercise
from tracedojo.deps import (
    CheckedForm,
    CurrentUser,
    InstructorOnly,
    PageUser,
    PlatformDep,
    SessionDep,
    Slug,
    exercise_or_404,
)
from tracedojo.lessons import lesson_of
from tracedojo.mode_attempts import (
    FIX_SKIP,
    ModeAttempt,
    ModeAttemptPublic,
    attempts_of,
    note_skip,
    settle,
    visible_attempt,
)
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
    variant_token,
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
    attempts = [a for a in attempts_of(session, user_id=user_id, slug=exercise.slug) if a.mode in (FIX, FIX_SKIP)]
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


class FixSkip(BaseModel):
    model_config = ConfigDict(extra="forbid")

    variant: str = PydanticField(min_length=1, max_length=32, description="the puzzle's variant token")


def _skip(session: Session, exercise: Exercise, user_id: int, token: str) -> FixPuzzle:
    """Move on from the learner's current bug without fixing it; a stale token (not the current bug)
    moves nothing, so a double click skips once."""
    variant = variant_of(exercise, token)
    puzzle = _fix_puzzle(session, exercise, user_id)
    if puzzle.variant != variant_token(exercise, variant):
        return puzzle
    note_skip(session, user_id=user_id, exercise=exercise, variant_file=variant.file)
    return _fix_puzzle(session, exercise, user_id)


@api.post("/exercises/{slug}/modes/fix/skip", response_model=FixPuzzle)
def post_fix_skip(
    body: FixSkip, user: CurrentUser, session: SessionDep, platform: PlatformDep, slug: str = Slug
) -> FixPuzzle:
    """Try another bug: leave the current one unfixed (stored) and get the next one."""
    exercise = exercise_or_404(platform, slug)
    assert user.id is not None
    try:
        return _skip(session, exercise, user.id, body.variant)
    except AnswerError as exc:
        raise _unprocessable(exc) from None


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
    error: str = "",
    given: dict[str, str] | None = None,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    """The mode's page; after a form posted without JavaScript went wrong, with ``error`` and what the
    learner ``given`` kept in the form."""
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
            "error": error,
            "given": given or {},
        },
        user=user,
        status_code=status_code,
    )


def _to_submission(attempt: ModeAttemptPublic) -> Response:
    return RedirectResponse(f"/submissions/{attempt.submission_id}", status_code=status.HTTP_303_SEE_OTHER)


def _form_error(exc: HTTPException) -> tuple[str, int]:
    return f"{str(exc.detail)[:1].upper()}{str(exc.detail)[1:]}.", exc.status_code


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


# --- The same answers as plain forms (no JavaScript): graded, then the submission's page ---------------


def parsons_form_answer(form: dict[str, str]) -> ParsonsAnswer:
    """``place-<id>`` (a number; empty leaves the block out) and ``indent-<id>`` of each block, in the
    order of the numbers."""
    placed: list[tuple[float, str, int]] = []
    for key, value in form.items():
        if not key.startswith("place-") or not value.strip():
            continue
        block = key.removeprefix("place-")
        try:
            place = float(value)
            indent = int(form.get(f"indent-{block}", "0") or 0)
        except ValueError:
            raise AnswerError(f"the place and indentation of a block are numbers (got {value[:16]!r})") from None
        placed.append((place, block, indent))
    if not placed:
        raise AnswerError("give a place number to the blocks of your program")
    placed.sort()
    try:
        return ParsonsAnswer.model_validate({"blocks": [{"id": b, "indent": i} for _, b, i in placed]})
    except ValidationError as exc:
        raise AnswerError(f"blocks: {exc.errors()[0]['msg']}") from None


@pages.post("/exercises/{slug}/parsons", response_class=HTMLResponse)
def parsons_form(
    slug: str, request: Request, user: PageUser, form: CheckedForm, session: SessionDep, platform: PlatformDep
) -> Response:
    exercise = _lesson_or_404(platform, slug)
    assert user.id is not None
    try:
        return _to_submission(post_parsons(parsons_form_answer(form), user, session, platform, slug))
    except (AnswerError, HTTPException) as exc:
        error, code = (str(exc), 400) if isinstance(exc, AnswerError) else _form_error(exc)
    tried = attempts_of(session, user_id=user.id, slug=slug, mode=PARSONS)
    puzzle = parsons_puzzle(exercise, user_id=user.id, failed_tries=_failed_tries(tried))
    return _mode_page(
        request,
        user,
        session,
        exercise,
        mode=PARSONS,
        template="mode_parsons.html",
        puzzle=puzzle,
        error=error,
        given=form,
        status_code=code,
    )


@pages.post("/exercises/{slug}/blanks", response_class=HTMLResponse)
def blanks_form(
    slug: str, request: Request, user: PageUser, form: CheckedForm, session: SessionDep, platform: PlatformDep
) -> Response:
    exercise = _lesson_or_404(platform, slug)
    puzzle = blanks_puzzle(exercise)
    fills = {b.id: form.get(b.id, "") for b in puzzle.blanks}
    try:
        return _to_submission(post_blanks(BlanksAnswer(fills=fills), user, session, platform, slug))
    except HTTPException as exc:
        error, code = _form_error(exc)
    return _mode_page(
        request,
        user,
        session,
        exercise,
        mode=BLANKS,
        template="mode_blanks.html",
        puzzle=puzzle,
        error=error,
        given=fills,
        status_code=code,
    )


@pages.post("/exercises/{slug}/fix", response_class=HTMLResponse)
def fix_form(
    slug: str, request: Request, user: PageUser, form: CheckedForm, session: SessionDep, platform: PlatformDep
) -> Response:
    exercise = _lesson_or_404(platform, slug)
    assert user.id is not None
    answer = FixAnswer.model_construct(variant=form.get("variant", "")[:32], code=form.get("code", ""))
    try:
        return _to_submission(post_fix(answer, user, session, platform, slug))
    except HTTPException as exc:
        error, code = _form_error(exc)
    puzzle = _fix_puzzle(session, exercise, user.id)
    if answer.variant == puzzle.variant:
        puzzle = puzzle.model_copy(update={"code": answer.code.replace("\x00", "")})
    return _mode_page(
        request,
        user,
        session,
        exercise,
        mode=FIX,
        template="mode_fix.html",
        puzzle=puzzle,
        error=error,
        status_code=code,
    )


@pages.post("/exercises/{slug}/fix/skip")
def fix_skip_form(slug: str, user: PageUser, form: CheckedForm, session: SessionDep, platform: PlatformDep) -> Response:
    """Try another bug, from the fix page's own form (with or without JavaScript)."""
    exercise = _lesson_or_404(platform, slug)
    assert user.id is not None
    try:
        _skip(session, exercise, user.id, form.get("variant", "")[:32])
    except AnswerError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"{exc}") from None
    return RedirectResponse(f"/exercises/{slug}/fix", status_code=status.HTTP_303_SEE_OTHER)
