"""Course pages: your courses and joining one, a course's assignments, dates and extensions, its gradebook,
a learner's submission with staff comments, and reusable feedback. Scoped as the course API is."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from tracedojo import assignments as assignment_service
from tracedojo import courses as course_service
from tracedojo import feedback
from tracedojo.assignments import DeadlineReport, GradeState, dates_of, deadline_report, deadline_reports
from tracedojo.course_access import (
    CourseAccess,
    Need,
    assignment_in,
    course_access,
    learner_submission,
    lesson_title,
    visible_assignments,
)
from tracedojo.course_gradebook import course_gradebook
from tracedojo.course_models import Assignment, CourseRole
from tracedojo.course_schemas import (
    AssignmentCreate,
    AssignmentEdit,
    CommentCreate,
    CourseCreate,
    ExtensionGrant,
    mode_choices,
    mode_url,
)
from tracedojo.course_times import iso, utc_text
from tracedojo.courses import CourseError
from tracedojo.deps import CheckedForm, PageUser, PlatformDep, SessionDep
from tracedojo.models import MAX_ID, SubmissionPublic, SubmissionStatus, User, utcnow
from tracedojo.modes import mode_named
from tracedojo.platform_state import Platform
from tracedojo.trace_view import replay_context
from tracedojo.views import render, templates

router = APIRouter(prefix="/courses", include_in_schema=False)

templates.env.globals["iso_time"] = iso
templates.env.globals["utc_text"] = utc_text

CourseId = Annotated[int, Path(ge=1, le=MAX_ID)]
AssignmentId = Annotated[int, Path(ge=1, le=MAX_ID)]
SubmissionNumber = Annotated[int, Path(ge=1, le=MAX_ID)]


def _problem(exc: ValidationError | CourseError) -> str:
    """A form's mistakes in one sentence, each naming its field."""
    if isinstance(exc, CourseError):
        return str(exc)
    parts = []
    for error in exc.errors():
        field = ".".join(str(p) for p in error.get("loc", ()))
        message = str(error.get("msg", "")).removeprefix("Value error, ")
        parts.append(f"{field}: {message}" if field else message)
    return "; ".join(parts)


def _blank_to_none(fields: dict[str, str], *names: str) -> dict[str, Any]:
    return {name: (fields.get(name, "").strip() or None) for name in names}


def _see(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=status.HTTP_303_SEE_OTHER)


def mode_title(key: str) -> str:
    mode = mode_named(key)
    return mode.title if mode else key


templates.env.globals["mode_title"] = mode_title
templates.env.globals["mode_url"] = mode_url


# Your courses, creating and joining


def _courses_page(
    request: Request, user: User, session: Session, *, error: str | None = None, status_code: int = 200
) -> Response:
    assert user.id is not None
    return render(
        request,
        "courses/index.html",
        {"courses": course_service.courses_of(session, user_id=user.id), "error": error},
        user=user,
        status_code=status_code,
    )


@router.get("", response_class=HTMLResponse)
def my_courses(request: Request, user: PageUser, session: SessionDep) -> Response:
    return _courses_page(request, user, session)


@router.post("", response_class=HTMLResponse)
def create_course(request: Request, user: PageUser, session: SessionDep, fields: CheckedForm) -> Response:
    if not user.is_instructor:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Only instructors create courses; ask one to add you as staff.")
    try:
        body = CourseCreate.model_validate({"title": fields.get("title", "")})
        course = course_service.create_course(session, title=body.title, created_by=user)
    except (ValidationError, CourseError) as exc:
        return _courses_page(request, user, session, error=_problem(exc), status_code=400)
    return _see(f"/courses/{course.id}")


@router.post("/join", response_class=HTMLResponse)
def join_course(request: Request, user: PageUser, session: SessionDep, fields: CheckedForm) -> Response:
    code = fields.get("code", "")[:32]
    if not code.strip():
        return _courses_page(request, user, session, error="Type the join code your instructor gave.", status_code=400)
    try:
        course, _ = course_service.join_with_code(session, user=user, code=code)
    except CourseError as exc:
        return _courses_page(request, user, session, error=str(exc).capitalize() + ".", status_code=404)
    return _see(f"/courses/{course.id}")


# One course


def _course_page(
    request: Request,
    access: CourseAccess,
    session: Session,
    platform: Platform,
    *,
    error: str | None = None,
    notice: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    assert access.course.id is not None
    context: dict[str, Any] = {
        "course": access.course,
        "role": access.role,
        "staff": access.staff,
        "assignments": [
            (a, g, lesson_title(platform, a.exercise_slug)) for a, g in visible_assignments(session, platform, access)
        ],
        "lessons": platform.catalog.exercises,
        "modes": mode_choices(),
        "error": error,
        "notice": notice,
        "form": form or {},
        "now": utcnow(),
    }
    if access.staff:
        context["members"] = course_service.members(session, course_id=access.course.id)
    return render(request, "courses/course.html", context, user=access.user, status_code=status_code)


@router.get("/{course_id}", response_class=HTMLResponse)
def course_page(
    course_id: CourseId, request: Request, user: PageUser, session: SessionDep, platform: PlatformDep
) -> Response:
    return _course_page(request, course_access(session, user=user, course_id=course_id), session, platform)


@router.post("/{course_id}/assignments", response_class=HTMLResponse)
def create_assignment(
    course_id: CourseId,
    request: Request,
    user: PageUser,
    session: SessionDep,
    platform: PlatformDep,
    fields: CheckedForm,
) -> Response:
    access = course_access(session, user=user, course_id=course_id, need=Need.INSTRUCTOR)
    try:
        body = AssignmentCreate.model_validate(
            {
                "exercise": fields.get("exercise", ""),
                "mode": fields.get("mode", "") or "write",
                "points": fields.get("points", "") or 10,
                "late_credit": fields.get("late_credit", "") or 0,
                "time_zone": fields.get("time_zone", "") or "UTC",
                **_blank_to_none(fields, "release_at", "due_at", "late_until"),
            }
        )
        if platform.catalog.get(body.exercise) is None:
            raise CourseError(f"exercise: there is no lesson {body.exercise!r}")
        assignment = assignment_service.create_assignment(
            session,
            course_id=course_id,
            exercise_slug=body.exercise,
            points=body.points,
            release_at=body.release_at or utcnow(),
            due_at=body.due_at,
            late_until=body.late_until,
            late_credit=body.late_credit,
            mode=body.mode,
        )
    except (ValidationError, CourseError) as exc:
        return _course_page(request, access, session, platform, error=_problem(exc), form=fields, status_code=400)
    return _see(f"/courses/{course_id}/assignments/{assignment.id}")


# One assignment


def _assignment_page(
    request: Request,
    access: CourseAccess,
    assignment: Assignment,
    session: Session,
    platform: Platform,
    *,
    error: str | None = None,
    report: DeadlineReport | None = None,
    status_code: int = 200,
) -> Response:
    assert assignment.id is not None and access.user.id is not None
    context: dict[str, Any] = {
        "course": access.course,
        "staff": access.staff,
        "instructor": access.role == CourseRole.INSTRUCTOR,
        "assignment": assignment,
        "modes": mode_choices(),
        "dates": dates_of(assignment),
        "title": lesson_title(platform, assignment.exercise_slug),
        "error": error,
        "report": report,
    }
    if access.staff:
        names = {u.id: u.username for u, _ in course_service.members(session, course_id=access.course.id or 0)}
        context["grades"] = [
            (names.get(g.user_id, "?"), g)
            for g in assignment_service.assignment_grades(session, assignment=assignment, lessons=platform.catalog)
        ]
        context["reports"] = deadline_reports(session, assignment_id=assignment.id)
    else:
        context["grade"] = assignment_service.learner_grade(
            session, assignment=assignment, user_id=access.user.id, lessons=platform.catalog
        )
    return render(request, "courses/assignment.html", context, user=access.user, status_code=status_code)


@router.get("/{course_id}/assignments/{assignment_id}", response_class=HTMLResponse)
def assignment_page(
    course_id: CourseId,
    assignment_id: AssignmentId,
    request: Request,
    user: PageUser,
    session: SessionDep,
    platform: PlatformDep,
) -> Response:
    access = course_access(session, user=user, course_id=course_id)
    assignment = assignment_in(session, access, assignment_id=assignment_id)
    return _assignment_page(request, access, assignment, session, platform)


@router.post("/{course_id}/assignments/{assignment_id}", response_class=HTMLResponse)
def edit_assignment(
    course_id: CourseId,
    assignment_id: AssignmentId,
    request: Request,
    user: PageUser,
    session: SessionDep,
    platform: PlatformDep,
    fields: CheckedForm,
) -> Response:
    access = course_access(session, user=user, course_id=course_id, need=Need.INSTRUCTOR)
    assignment = assignment_in(session, access, assignment_id=assignment_id)
    try:
        body = AssignmentEdit.model_validate(
            {
                "mode": fields.get("mode") or None,
                "points": fields.get("points") or None,
                "late_credit": fields.get("late_credit") or None,
                "time_zone": fields.get("time_zone", "") or "UTC",
                **_blank_to_none(fields, "release_at", "due_at", "late_until"),
            }
        )
        change = assignment_service.update_dates(
            session,
            assignment=assignment,
            requested_by=user.id,
            points=body.points,
            release_at=body.release_at,
            due_at=body.due_at,
            late_until=body.late_until,
            clear_late_until=not fields.get("late_until", "").strip(),
            late_credit=body.late_credit,
            mode=body.mode,
            lessons=platform.catalog,
        )
    except (ValidationError, CourseError) as exc:
        session.rollback()
        session.refresh(assignment)
        return _assignment_page(request, access, assignment, session, platform, error=_problem(exc), status_code=400)
    return _assignment_page(
        request, access, assignment, session, platform, report=deadline_report(session, change=change)
    )


@router.post("/{course_id}/assignments/{assignment_id}/extensions", response_class=HTMLResponse)
def grant_extension(
    course_id: CourseId,
    assignment_id: AssignmentId,
    request: Request,
    user: PageUser,
    session: SessionDep,
    platform: PlatformDep,
    fields: CheckedForm,
) -> Response:
    access = course_access(session, user=user, course_id=course_id, need=Need.INSTRUCTOR)
    assignment = assignment_in(session, access, assignment_id=assignment_id)
    try:
        learner_id = int(fields.get("user_id", "0") or 0)
        if course_service.role_in(session, course_id=course_id, user_id=learner_id) != CourseRole.LEARNER:
            raise CourseError("user_id: choose a learner of this course")
        body = ExtensionGrant.model_validate(
            {"time_zone": fields.get("time_zone", "") or "UTC", **_blank_to_none(fields, "due_at", "late_until")}
        )
        change = assignment_service.grant_extension(
            session,
            assignment=assignment,
            user_id=learner_id,
            due_at=body.due_at,
            late_until=body.late_until,
            granted_by=user.id,
            lessons=platform.catalog,
        )
    except ValueError as exc:  # ValidationError and CourseError are ValueErrors, as is a non-number id
        problem = _problem(exc) if isinstance(exc, ValidationError | CourseError) else "user_id: choose a learner"
        return _assignment_page(request, access, assignment, session, platform, error=problem, status_code=400)
    return _assignment_page(
        request, access, assignment, session, platform, report=deadline_report(session, change=change)
    )


@router.get("/{course_id}/assignments/{assignment_id}/delete", response_class=HTMLResponse)
def delete_assignment_page(
    course_id: CourseId,
    assignment_id: AssignmentId,
    request: Request,
    user: PageUser,
    session: SessionDep,
    platform: PlatformDep,
) -> Response:
    """The confirmation step before deleting: what goes, and what stays."""
    access = course_access(session, user=user, course_id=course_id, need=Need.INSTRUCTOR)
    assignment = assignment_in(session, access, assignment_id=assignment_id)
    grades = assignment_service.assignment_grades(session, assignment=assignment, lessons=platform.catalog)
    context = {
        "course": access.course,
        "assignment": assignment,
        "title": lesson_title(platform, assignment.exercise_slug),
        "graded": sum(1 for g in grades if g.state in (GradeState.ON_TIME, GradeState.LATE)),
        "extensions": len(assignment_service.extensions_of(session, assignment_id=assignment_id)),
    }
    return render(request, "courses/assignment_delete.html", context, user=user)


@router.post("/{course_id}/assignments/{assignment_id}/delete", response_class=HTMLResponse)
def delete_assignment(
    course_id: CourseId,
    assignment_id: AssignmentId,
    request: Request,
    user: PageUser,
    session: SessionDep,
    platform: PlatformDep,
    fields: CheckedForm,
) -> Response:
    access = course_access(session, user=user, course_id=course_id, need=Need.INSTRUCTOR)
    assignment = assignment_in(session, access, assignment_id=assignment_id)
    if fields.get("confirm") != "delete":
        return _see(f"/courses/{course_id}/assignments/{assignment_id}/delete")
    what = f"{lesson_title(platform, assignment.exercise_slug)} ({mode_title(assignment.mode)})"
    assignment_service.delete_assignment(session, assignment=assignment)
    notice = f"Deleted the assignment {what}. Its learners' work is kept as practice."
    return _course_page(request, access, session, platform, notice=notice)


# Gradebook


@router.get("/{course_id}/gradebook", response_class=HTMLResponse)
def gradebook_page(
    course_id: CourseId, request: Request, user: PageUser, session: SessionDep, platform: PlatformDep
) -> Response:
    access = course_access(session, user=user, course_id=course_id, need=Need.STAFF)
    return render(
        request,
        "courses/gradebook.html",
        {"course": access.course, "book": course_gradebook(session, course_id=course_id, lessons=platform.catalog)},
        user=user,
    )


# A learner's submission, comments and reusable feedback


def _submission_page(
    request: Request,
    access: CourseAccess,
    submission_id: int,
    session: Session,
    platform: Platform,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    row = learner_submission(session, access, submission_id=submission_id)
    author = session.get(User, row.user_id)
    return render(
        request,
        "courses/submission.html",
        {
            "course": access.course,
            "submission": SubmissionPublic.of(row),
            "author": author.username if author else "?",
            "title": lesson_title(platform, row.exercise_slug),
            "code_text": row.code,
            "comments": feedback.comments_on(session, submission_id=submission_id),
            "reusable": feedback.feedback_for(session, submission=row),
            "pattern": feedback.failure_pattern(row.step_results),
            "error": error,
            **replay_context(
                platform.catalog.get(row.exercise_slug),
                row.steps,
                row.code,
                final=SubmissionStatus(row.status).final,
            ),
        },
        user=access.user,
        status_code=status_code,
    )


@router.get("/{course_id}/submissions/{submission_id}", response_class=HTMLResponse)
def submission_page(
    course_id: CourseId,
    submission_id: SubmissionNumber,
    request: Request,
    user: PageUser,
    session: SessionDep,
    platform: PlatformDep,
) -> Response:
    access = course_access(session, user=user, course_id=course_id, need=Need.STAFF)
    return _submission_page(request, access, submission_id, session, platform)


@router.post("/{course_id}/submissions/{submission_id}/comments", response_class=HTMLResponse)
def add_comment(
    course_id: CourseId,
    submission_id: SubmissionNumber,
    request: Request,
    user: PageUser,
    session: SessionDep,
    platform: PlatformDep,
    fields: CheckedForm,
) -> Response:
    access = course_access(session, user=user, course_id=course_id, need=Need.STAFF)
    row = learner_submission(session, access, submission_id=submission_id)
    try:
        body = CommentCreate.model_validate({"body": fields.get("body", ""), "line": fields.get("line") or None})
        feedback.add_comment(session, submission=row, course_id=course_id, author=user, body=body.body, line=body.line)
    except (ValidationError, CourseError) as exc:
        return _submission_page(request, access, submission_id, session, platform, error=_problem(exc), status_code=400)
    return _see(f"/courses/{course_id}/submissions/{submission_id}#comments")


@router.post("/{course_id}/submissions/{submission_id}/reusable", response_class=HTMLResponse)
def add_reusable(
    course_id: CourseId,
    submission_id: SubmissionNumber,
    request: Request,
    user: PageUser,
    session: SessionDep,
    platform: PlatformDep,
    fields: CheckedForm,
) -> Response:
    access = course_access(session, user=user, course_id=course_id, need=Need.STAFF)
    row = learner_submission(session, access, submission_id=submission_id)
    try:
        feedback.rule_from_submission(
            session, submission=row, course_id=course_id, body=fields.get("body", ""), author=user
        )
    except CourseError as exc:
        return _submission_page(request, access, submission_id, session, platform, error=str(exc), status_code=400)
    return _see(f"/courses/{course_id}/feedback")


@router.get("/{course_id}/feedback", response_class=HTMLResponse)
def feedback_page(course_id: CourseId, request: Request, user: PageUser, session: SessionDep) -> Response:
    access = course_access(session, user=user, course_id=course_id, need=Need.STAFF)
    return render(
        request,
        "courses/feedback.html",
        {"course": access.course, "rules": feedback.rules_of(session, course_id=course_id)},
        user=user,
    )
