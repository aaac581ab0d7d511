"""The HTML pages: home and curriculum, sign-in, lessons with the quiz, the editor, results."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlmodel import Session

from grader import Exercise
from grader.results import StepResult
from tracedojo import quiz
from tracedojo.accounts import UsernameTaken, create_user, sign_in_checked
from tracedojo.course_views import home_notices, result_feedback
from tracedojo.deps import (
    CheckedForm,
    OptionalUser,
    PageUser,
    PlatformDep,
    SessionDep,
    SubmissionId,
    client_key,
    exercise_or_404,
    sign_in_browser,
    sign_out_browser,
)
from tracedojo.highlighting import stylesheet
from tracedojo.lessons import LessonPublic, lesson_of
from tracedojo.mode_attempts import note_read
from tracedojo.models import USERNAME_RULE, SubmissionCreate, SubmissionStatus, User, UserCreate
from tracedojo.modes import lesson_modes
from tracedojo.platform_state import Platform
from tracedojo.progress import progress_of
from tracedojo.review import due_today_count
from tracedojo.step_wording import lines_named
from tracedojo.submissions import (
    CodeTooLarge,
    history,
    latest_code,
    public_with_queue,
    submit,
    visible_submission,
)
from tracedojo.trace_view import replay_context, script_json, spine_of, stepper_data, untracked_names, variable_of
from tracedojo.views import render

router = APIRouter(include_in_schema=False)


def _lesson_or_404(platform: Platform, slug: str) -> Exercise:
    return exercise_or_404(platform, slug, missing=f"There is no lesson {slug[:64]!r}; the curriculum lists them all.")


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _sign_in(request: Request, session: Session, platform: Platform, user: User) -> None:
    sign_in_browser(request, session, user, max_age=platform.settings.session_max_age)


@router.get("/assets/pygments.css")
def pygments_css() -> PlainTextResponse:
    return PlainTextResponse(stylesheet(), media_type="text/css", headers={"Cache-Control": "max-age=3600"})


@router.get("/", response_class=HTMLResponse)
def home(request: Request, user: OptionalUser, session: SessionDep, platform: PlatformDep) -> Response:
    exercises = platform.catalog.exercises
    progress = progress_of(session, user_id=user.id, exercises=exercises) if user and user.id else {}
    done = sum(1 for p in progress.values() if p.done)
    return render(
        request,
        "home.html",
        {
            "exercises": exercises,
            "progress": progress,
            "done": done,
            "score_policy": quiz.SCORE_POLICY,
            "review_due": due_today_count(session, user_id=user.id, exercises=exercises) if user and user.id else 0,
            **home_notices(session, user),
        },
        user=user,
    )


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, user: OptionalUser, next: str = "/") -> Response:
    if user is not None:
        return RedirectResponse(_safe_next(next), status_code=status.HTTP_303_SEE_OTHER)
    return render(request, "auth.html", {"mode": "login", "next": _safe_next(next)})


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, form: CheckedForm, session: SessionDep, platform: PlatformDep) -> Response:
    username, target = form.get("username", "").strip(), _safe_next(form.get("next"))
    # In a thread: the password hash takes tens of milliseconds of CPU, which the event loop must not wait on.
    user = await run_in_threadpool(
        sign_in_checked,
        session,
        username=username,
        password=form.get("password", ""),
        address=client_key(request),
        per_username=platform.login_limit,
        per_address=platform.spray_limit,
    )
    if user is None:
        return render(
            request,
            "auth.html",
            {"mode": "login", "next": target, "username": username, "error": "Wrong username or password."},
            status_code=status.HTTP_401_UNAUTHORIZED,
        )
    await run_in_threadpool(_sign_in, request, session, platform, user)
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)


@router.get("/register", response_class=HTMLResponse)
def register_form(request: Request, user: OptionalUser) -> Response:
    if user is not None:
        return RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)
    return render(request, "auth.html", {"mode": "register", "next": "/"})


@router.post("/register", response_class=HTMLResponse)
async def register(request: Request, form: CheckedForm, session: SessionDep, platform: PlatformDep) -> Response:
    username = form.get("username", "").strip()
    platform.register_limit.hit(client_key(request))
    error = None
    try:
        if form.get("password", "") != form.get("password_again", form.get("password", "")):
            raise ValueError("The two passwords differ.")
        user_create = UserCreate.model_validate({"username": username, "password": form.get("password", "")})
        user = await run_in_threadpool(create_user, session, user_create=user_create)
    except ValidationError as exc:
        error = " ".join(dict.fromkeys(_registration_problem(problem) for problem in exc.errors()))
    except (UsernameTaken, ValueError) as exc:
        error = str(exc).capitalize() if isinstance(exc, UsernameTaken) else str(exc)
    if error is not None:
        return render(
            request,
            "auth.html",
            {"mode": "register", "next": "/", "username": username, "error": error},
            status_code=status.HTTP_400_BAD_REQUEST,
        )
    await run_in_threadpool(_sign_in, request, session, platform, user)
    return RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)


def _registration_problem(problem: Mapping[str, Any]) -> str:
    field = str(problem["loc"][0]) if problem.get("loc") else ""
    if field == "username":
        return f"For the username, {USERNAME_RULE}."
    if problem.get("type") == "value_error":  # the password policy's own words (passwords.password_problem)
        return f"The password {str(problem.get('msg', '')).removeprefix('Value error, ')}."
    return "Passwords need at least 8 characters (and at most 128)."


@router.get("/logout", response_class=HTMLResponse)
def logout_form(request: Request, user: OptionalUser) -> Response:
    if user is None:
        return RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)
    return render(request, "logout.html", user=user)


@router.post("/logout")
async def logout(request: Request, form: CheckedForm, session: SessionDep) -> Response:
    await run_in_threadpool(sign_out_browser, request, session)
    return RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/exercises/{slug}", response_class=HTMLResponse)
def lesson_page(slug: str, request: Request, user: PageUser, session: SessionDep, platform: PlatformDep) -> Response:
    assert user.id is not None
    exercise = _lesson_or_404(platform, slug)
    states = quiz.question_states(session, user_id=user.id, slug=slug)
    progress = progress_of(session, user_id=user.id, exercises=[exercise])[slug]
    note_read(session, user_id=user.id, exercise=exercise)
    return render(
        request,
        "lesson.html",
        {
            "modes": lesson_modes(session, user_id=user.id, exercise=exercise),
            "lesson": lesson_of(exercise),
            "states": states,
            "progress": progress,
            "score_policy": quiz.SCORE_POLICY,
            "stepper_json": script_json(stepper_data(exercise)),
            "spine": spine_of(exercise),
        },
        user=user,
    )


@router.get("/exercises/{slug}/code", response_class=HTMLResponse)
def practice_page(
    slug: str, request: Request, user: PageUser, session: SessionDep, platform: PlatformDep, starter: bool = False
) -> Response:
    assert user.id is not None
    exercise = _lesson_or_404(platform, slug)
    code = (None if starter else latest_code(session, user_id=user.id, slug=slug)) or exercise.starter
    return _practice(request, user, session, platform, slug=slug, code=code)


def _practice(
    request: Request,
    user: User,
    session: SessionDep,
    platform: PlatformDep,
    *,
    slug: str,
    code: str,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    exercise = _lesson_or_404(platform, slug)
    assert user.id is not None
    return render(
        request,
        "practice.html",
        {
            "lesson": lesson_of(exercise),
            "code": code,
            "attempts": history(session, user_id=user.id, slug=slug),
            "error": error,
            "code_limit": platform.settings.limits.code_bytes,
        },
        user=user,
        status_code=status_code,
    )


@router.post("/exercises/{slug}/code", response_class=HTMLResponse)
async def practice_submit(
    slug: str, request: Request, user: PageUser, form: CheckedForm, session: SessionDep, platform: PlatformDep
) -> Response:
    exercise = _lesson_or_404(platform, slug)
    code = form.get("code", "")
    try:
        SubmissionCreate.model_validate({"code": code})
    except ValidationError as exc:
        problem = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        return _practice(
            request,
            user,
            session,
            platform,
            slug=slug,
            code=code.replace("\x00", ""),
            error="Write some code first." if not code.strip() else f"Your code {problem}.",
            status_code=400,
        )
    try:
        # In a thread: storing it may wait for SQLite's lock, which the event loop must not do.
        row = await run_in_threadpool(submit, session, platform, user=user, exercise=exercise, code=code)
    except CodeTooLarge as exc:
        return _practice(
            request,
            user,
            session,
            platform,
            slug=slug,
            code=code,
            error=str(exc).capitalize() + ".",
            status_code=status.HTTP_413_CONTENT_TOO_LARGE,
        )
    return RedirectResponse(f"/submissions/{row.id}", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/submissions/{submission_id}", response_class=HTMLResponse)
def submission_page(
    submission_id: SubmissionId, request: Request, user: PageUser, session: SessionDep, platform: PlatformDep
) -> Response:
    row = visible_submission(session, user=user, submission_id=submission_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"There is no submission {submission_id} for you to see.")
    exercise = platform.catalog.get(row.exercise_slug)
    lesson = lesson_of(exercise) if exercise else None
    result = public_with_queue(session, row)
    steps = {step.n: step for step in result.steps}
    learner_variables = _learner_variables(result.steps)
    beside = (
        _beside(lesson, learner_variables, untracked=untracked_names(exercise))
        if exercise and lesson and learner_variables
        else []
    )
    return render(
        request,
        "submission.html",
        {
            "submission": result,
            "lesson": lesson,
            "steps": steps,
            "final": SubmissionStatus(row.status).final,
            "attempts": history(session, user_id=row.user_id, slug=row.exercise_slug),
            "learner_variables": learner_variables,
            "beside": beside,
            "next_lesson": platform.catalog.after(row.exercise_slug),
            "code_text": row.code,
            "error_lines": lines_named(row.message, row.step_results, row.code)
            if row.status in (SubmissionStatus.ERROR, SubmissionStatus.FAILED)
            else [],
            "unchanged_starter": exercise is not None and _same_source(row.code, exercise.starter),
            **replay_context(exercise, row.steps, row.code, final=SubmissionStatus(row.status).final),
            **result_feedback(session, submission_id=submission_id, viewer=user),
        },
        user=user,
    )


_AFTER_STEP = re.compile(r"after\s+step\s+(\d+)", re.IGNORECASE)


def _same_source(a: str, b: str) -> bool:
    """Equal but for line endings and trailing blanks (a browser's form sends a textarea with CRLF)."""

    def canonical(code: str) -> list[str]:
        return [line.rstrip() for line in code.strip().splitlines()]

    return canonical(a) == canonical(b)


class BesideRow(BaseModel):
    name: str
    cells: list[tuple[str, str]]  # (the lesson's value, the learner's value) per tracker column
    untracked: bool = False  # the sample never stores it in a variable: the learner need not either


def _beside(lesson: LessonPublic, learner: dict[str, dict[int, str]], *, untracked: list[str]) -> list[BesideRow]:
    """The lesson's variable tracker with the learner's own values at the same moments."""
    columns = lesson.variable_tracker.columns
    last = max((n for values in learner.values() for n in values), default=0)

    def learner_value(name: str, column: str) -> str:
        # A row such as message['type'] shows the learner's whole `message`.
        values = learner.get(name) or learner.get(variable_of(name), {})
        match = _AFTER_STEP.search(column)
        if match:
            return values.get(int(match.group(1)), "—")
        if column.strip().lower() in ("final", "end", "after"):
            return values.get(last, "—")
        return "—"  # "Start": before the first row nothing of the endpoint has run

    names = [r.name for r in lesson.variable_tracker.rows]
    rows = [
        BesideRow(
            name=r.name,
            cells=[(v, learner_value(r.name, c)) for v, c in zip(r.values, columns, strict=True)],
            untracked=r.name in untracked and r.name not in learner,
        )
        for r in lesson.variable_tracker.rows
    ]
    rows += [
        BesideRow(name=name, cells=[("—", learner_value(name, c)) for c in columns])
        for name in sorted(learner)
        if name not in names and name not in {variable_of(n) for n in names}
    ]
    return rows


def _learner_variables(steps: list[StepResult]) -> dict[str, dict[int, str]]:
    """Per variable, its value in the learner's endpoint after each step, when the grader captured them."""
    table: dict[str, dict[int, str]] = {}
    for step in steps:
        for name, value in step.variables.items():
            table.setdefault(name, {})[step.n] = value
    return table
