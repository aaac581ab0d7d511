"""The course API: courses and enrolment, assignments and deadlines, the course gradebook, feedback on code.

Scoped to the courses the caller belongs to: another course's data answers 404, a staff route 403
to a learner (see tracedojo.course_access).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Response, status
from pydantic import BaseModel
from sqlmodel import Session, select

from tracedojo import assignments as assignment_service
from tracedojo import courses as course_service
from tracedojo import feedback
from tracedojo.assignments import DeadlineReport, LearnerGrade, deadline_report, deadline_reports, learner_grade
from tracedojo.course_access import (
    CourseAccess,
    Need,
    assignment_in,
    course_access,
    learner_submission,
    lesson_title,
    may_read_feedback,
    visible_assignments,
)
from tracedojo.course_gradebook import CourseGradebook, course_gradebook, course_gradebook_csv
from tracedojo.course_models import CourseRole, Enrolment, FeedbackRule
from tracedojo.course_schemas import (
    AssignmentCreate,
    AssignmentEdit,
    AssignmentPublic,
    CommentCreate,
    CourseCreate,
    CourseDetail,
    CoursePublic,
    ExtensionGrant,
    JoinRequest,
    MemberAdd,
    MemberPublic,
    RuleCreate,
)
from tracedojo.courses import CourseError
from tracedojo.deps import CurrentUser, InstructorOnly, PlatformDep, SessionDep, SubmissionId
from tracedojo.models import MAX_ID, Submission, SubmissionPublic, User, utcnow

router = APIRouter(prefix="/api", tags=["courses"])

CourseId = Annotated[int, Path(ge=1, le=MAX_ID, description="a course's id")]
AssignmentId = Annotated[int, Path(ge=1, le=MAX_ID, description="an assignment's id")]
UserId = Annotated[int, Path(ge=1, le=MAX_ID, description="a user's id")]
RuleId = Annotated[int, Path(ge=1, le=MAX_ID, description="a reusable feedback's id")]


@contextmanager
def refused_as_422() -> Iterator[None]:
    """A request the services cannot do as asked (dates out of order, ...) is the client's to fix."""
    try:
        yield
    except CourseError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None


# Courses and enrolment


@router.get("/courses")
def my_courses(user: CurrentUser, session: SessionDep) -> list[CoursePublic]:
    """The courses you belong to, with your role in each."""
    assert user.id is not None
    return [CoursePublic.of(course, role) for course, role in course_service.courses_of(session, user_id=user.id)]


@router.post("/courses", status_code=status.HTTP_201_CREATED)
def create_course(body: CourseCreate, user: InstructorOnly, session: SessionDep) -> CoursePublic:
    """Create a course; you become its instructor and get its join code."""
    with refused_as_422():
        course = course_service.create_course(session, title=body.title, created_by=user)
    return CoursePublic.of(course, CourseRole.INSTRUCTOR)


@router.post("/courses/join")
def join_course(body: JoinRequest, user: CurrentUser, session: SessionDep) -> CoursePublic:
    """Join a course with the code your instructor gave."""
    try:
        course, member = course_service.join_with_code(session, user=user, code=body.code)
    except CourseError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    return CoursePublic.of(course, CourseRole(member.role))


@router.get("/courses/{course_id}")
def get_course(course_id: CourseId, user: CurrentUser, session: SessionDep, platform: PlatformDep) -> CourseDetail:
    """A course and its assignments (a learner sees released ones, with their own grade)."""
    access = course_access(session, user=user, course_id=course_id)
    return CourseDetail(
        **CoursePublic.of(access.course, access.role).model_dump(),
        assignments=[
            AssignmentPublic.of(a, title=lesson_title(platform, a.exercise_slug), grade=g)
            for a, g in visible_assignments(session, platform, access)
        ],
    )


@router.post("/courses/{course_id}/join-code")
def renew_join_code(course_id: CourseId, user: CurrentUser, session: SessionDep) -> CoursePublic:
    """A new join code; the old one stops working, members stay."""
    access = course_access(session, user=user, course_id=course_id, need=Need.INSTRUCTOR)
    course = course_service.new_code_for(session, course=access.course)
    return CoursePublic.of(course, access.role)


@router.get("/courses/{course_id}/members")
def list_members(course_id: CourseId, user: CurrentUser, session: SessionDep) -> list[MemberPublic]:
    """Everyone in the course with their role."""
    course_access(session, user=user, course_id=course_id, need=Need.STAFF)
    return [
        MemberPublic(user_id=u.id or 0, username=u.username, role=m.role, enrolment=m.enrolment)
        for u, m in course_service.members(session, course_id=course_id)
    ]


@router.post("/courses/{course_id}/members", status_code=status.HTTP_201_CREATED)
def add_member(course_id: CourseId, body: MemberAdd, user: CurrentUser, session: SessionDep) -> MemberPublic:
    """Enrol an existing account, or give a member another role."""
    access = course_access(session, user=user, course_id=course_id, need=Need.INSTRUCTOR)
    other = session.exec(select(User).where(User.username == body.username.lower())).first()
    if other is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no user {body.username[:32]!r}")
    if other.id == user.id and body.role != CourseRole.INSTRUCTOR:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "role: you cannot step down from your own course")
    member = course_service.add_member(
        session, course=access.course, user=other, role=body.role, enrolment=Enrolment.STAFF
    )
    return MemberPublic(user_id=other.id or 0, username=other.username, role=member.role, enrolment=member.enrolment)


@router.delete("/courses/{course_id}/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_member(course_id: CourseId, user_id: UserId, user: CurrentUser, session: SessionDep) -> Response:
    """Take someone out of the course (their submissions stay)."""
    access = course_access(session, user=user, course_id=course_id, need=Need.INSTRUCTOR)
    other = session.get(User, user_id)
    if user_id == user.id:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "you cannot remove yourself from your own course")
    if other is None or not course_service.remove_member(session, course=access.course, user=other):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"user {user_id} is not in course {course_id}")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# Assignments and deadlines


@router.post("/courses/{course_id}/assignments", status_code=status.HTTP_201_CREATED)
def create_assignment(
    course_id: CourseId, body: AssignmentCreate, user: CurrentUser, session: SessionDep, platform: PlatformDep
) -> AssignmentPublic:
    """Set a lesson in one of its modes (default write) with points, a release date, a due date and late
    credit until a later date."""
    access = course_access(session, user=user, course_id=course_id, need=Need.INSTRUCTOR)
    if platform.catalog.get(body.exercise) is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"exercise: there is no lesson {body.exercise!r}")
    assert access.course.id is not None
    with refused_as_422():
        assignment = assignment_service.create_assignment(
            session,
            course_id=access.course.id,
            exercise_slug=body.exercise,
            points=body.points,
            release_at=body.release_at or utcnow(),
            due_at=body.due_at,
            late_until=body.late_until,
            late_credit=body.late_credit,
            mode=body.mode,
        )
    return AssignmentPublic.of(assignment, title=lesson_title(platform, assignment.exercise_slug))


@router.get("/courses/{course_id}/assignments/{assignment_id}")
def get_assignment(
    course_id: CourseId, assignment_id: AssignmentId, user: CurrentUser, session: SessionDep, platform: PlatformDep
) -> AssignmentPublic:
    """One assignment; a learner also gets their own dates and grade."""
    access = course_access(session, user=user, course_id=course_id)
    assignment = assignment_in(session, access, assignment_id=assignment_id)
    grade = (
        None
        if access.staff
        else learner_grade(session, assignment=assignment, user_id=user.id or 0, lessons=platform.catalog)
    )
    return AssignmentPublic.of(assignment, title=lesson_title(platform, assignment.exercise_slug), grade=grade)


@router.patch("/courses/{course_id}/assignments/{assignment_id}")
def edit_assignment(
    course_id: CourseId,
    assignment_id: AssignmentId,
    body: AssignmentEdit,
    user: CurrentUser,
    session: SessionDep,
    platform: PlatformDep,
) -> DeadlineReport:
    """Change the mode, points or dates; every learner's grade is recomputed and the changes listed."""
    access = course_access(session, user=user, course_id=course_id, need=Need.INSTRUCTOR)
    assignment = assignment_in(session, access, assignment_id=assignment_id)
    with refused_as_422():
        change = assignment_service.update_dates(
            session,
            assignment=assignment,
            requested_by=user.id,
            points=body.points,
            release_at=body.release_at,
            due_at=body.due_at,
            late_until=body.late_until,
            clear_late_until="late_until" in body.model_fields_set and body.late_until is None,
            late_credit=body.late_credit,
            mode=body.mode,
            lessons=platform.catalog,
        )
    return deadline_report(session, change=change)


@router.get("/courses/{course_id}/assignments/{assignment_id}/grades")
def assignment_grades(
    course_id: CourseId, assignment_id: AssignmentId, user: CurrentUser, session: SessionDep, platform: PlatformDep
) -> list[LearnerGrade]:
    """Every learner's grade on the assignment under its policy."""
    access = course_access(session, user=user, course_id=course_id, need=Need.STAFF)
    assignment = assignment_in(session, access, assignment_id=assignment_id)
    return assignment_service.assignment_grades(session, assignment=assignment, lessons=platform.catalog)


@router.delete("/courses/{course_id}/assignments/{assignment_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_assignment(
    course_id: CourseId, assignment_id: AssignmentId, user: CurrentUser, session: SessionDep
) -> Response:
    """Delete an assignment (its extensions go too); the learners' work stays, as practice."""
    access = course_access(session, user=user, course_id=course_id, need=Need.INSTRUCTOR)
    assignment = assignment_in(session, access, assignment_id=assignment_id)
    assignment_service.delete_assignment(session, assignment=assignment)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/courses/{course_id}/assignments/{assignment_id}/changes")
def deadline_changes(
    course_id: CourseId, assignment_id: AssignmentId, user: CurrentUser, session: SessionDep
) -> list[DeadlineReport]:
    """The latest date edits and extensions of the assignment, each with the grades it changed."""
    access = course_access(session, user=user, course_id=course_id, need=Need.STAFF)
    assignment_in(session, access, assignment_id=assignment_id)
    return deadline_reports(session, assignment_id=assignment_id)


def _learner_of(session: Session, access: CourseAccess, user_id: int) -> User:
    assert access.course.id is not None
    if course_service.role_in(session, course_id=access.course.id, user_id=user_id) != CourseRole.LEARNER:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"user {user_id} is not a learner in course {access.course.id}")
    learner = session.get(User, user_id)
    assert learner is not None
    return learner


@router.put("/courses/{course_id}/assignments/{assignment_id}/extensions/{user_id}")
def grant_extension(
    course_id: CourseId,
    assignment_id: AssignmentId,
    user_id: UserId,
    body: ExtensionGrant,
    user: CurrentUser,
    session: SessionDep,
    platform: PlatformDep,
) -> DeadlineReport:
    """Give one learner their own due date (and late date); their grade is recomputed."""
    access = course_access(session, user=user, course_id=course_id, need=Need.INSTRUCTOR)
    assignment = assignment_in(session, access, assignment_id=assignment_id)
    _learner_of(session, access, user_id)
    with refused_as_422():
        change = assignment_service.grant_extension(
            session,
            assignment=assignment,
            user_id=user_id,
            due_at=body.due_at,
            late_until=body.late_until,
            granted_by=user.id,
            lessons=platform.catalog,
        )
    return deadline_report(session, change=change)


@router.delete("/courses/{course_id}/assignments/{assignment_id}/extensions/{user_id}")
def revoke_extension(
    course_id: CourseId,
    assignment_id: AssignmentId,
    user_id: UserId,
    user: CurrentUser,
    session: SessionDep,
    platform: PlatformDep,
) -> DeadlineReport:
    """Take an extension back; the learner's grade is recomputed."""
    access = course_access(session, user=user, course_id=course_id, need=Need.INSTRUCTOR)
    assignment = assignment_in(session, access, assignment_id=assignment_id)
    _learner_of(session, access, user_id)
    try:
        change = assignment_service.revoke_extension(
            session, assignment=assignment, user_id=user_id, by=user.id, lessons=platform.catalog
        )
    except CourseError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    return deadline_report(session, change=change)


@router.get("/courses/{course_id}/gradebook")
def gradebook(course_id: CourseId, user: CurrentUser, session: SessionDep, platform: PlatformDep) -> CourseGradebook:
    """Each learner's grade on each assignment under its policy, and their total."""
    course_access(session, user=user, course_id=course_id, need=Need.STAFF)
    return course_gradebook(session, course_id=course_id, lessons=platform.catalog)


@router.get("/courses/{course_id}/gradebook.csv")
def gradebook_csv(course_id: CourseId, user: CurrentUser, session: SessionDep, platform: PlatformDep) -> Response:
    """The course gradebook as CSV."""
    access = course_access(session, user=user, course_id=course_id, need=Need.STAFF)
    text = course_gradebook_csv(course_gradebook(session, course_id=course_id, lessons=platform.catalog))
    name = f"course-{access.course.id}-gradebook.csv"
    return Response(
        text, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


# Feedback on code


class SubmissionFeedback(BaseModel):
    comments: list[feedback.CommentPublic]
    reusable: list[feedback.ReusableFeedback]


@router.get("/courses/{course_id}/submissions/{submission_id}")
def course_submission(
    course_id: CourseId, submission_id: SubmissionId, user: CurrentUser, session: SessionDep
) -> SubmissionPublic:
    """A course learner's submission with its results, for the course's staff."""
    access = course_access(session, user=user, course_id=course_id, need=Need.STAFF)
    return SubmissionPublic.of(learner_submission(session, access, submission_id=submission_id))


@router.post("/courses/{course_id}/submissions/{submission_id}/comments", status_code=status.HTTP_201_CREATED)
def comment(
    course_id: CourseId, submission_id: SubmissionId, body: CommentCreate, user: CurrentUser, session: SessionDep
) -> feedback.CommentPublic:
    """Comment on a course learner's submission, on one line or on the whole."""
    access = course_access(session, user=user, course_id=course_id, need=Need.STAFF)
    row = learner_submission(session, access, submission_id=submission_id)
    with refused_as_422():
        made = feedback.add_comment(
            session, submission=row, course_id=course_id, author=user, body=body.body, line=body.line
        )
    return next(c for c in feedback.comments_on(session, submission_id=submission_id) if c.id == made.id)


@router.get("/submissions/{submission_id}/feedback")
def submission_feedback(submission_id: SubmissionId, user: CurrentUser, session: SessionDep) -> SubmissionFeedback:
    """Staff comments and matching reusable feedback on a submission (yours, or a learner's you teach)."""
    row = session.get(Submission, submission_id)
    if row is None or not may_read_feedback(session, user=user, submission=row):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no submission {submission_id}")
    found = SubmissionFeedback(
        comments=feedback.comments_on(session, submission_id=submission_id),
        reusable=feedback.feedback_for(session, submission=row),
    )
    if row.user_id == user.id:
        feedback.mark_seen(session, submission_id=submission_id)
    return found


@router.get("/feedback/unseen")
def unseen_feedback(user: CurrentUser, session: SessionDep) -> list[feedback.UnseenFeedback]:
    """Your submissions with comments you have not opened yet."""
    return feedback.unseen_feedback(session, user_id=user.id or 0)


@router.get("/courses/{course_id}/feedback")
def list_rules(course_id: CourseId, user: CurrentUser, session: SessionDep) -> list[feedback.RulePublic]:
    """The course's reusable feedback, each with how often it fired."""
    course_access(session, user=user, course_id=course_id, need=Need.STAFF)
    return feedback.rules_of(session, course_id=course_id)


@router.post("/courses/{course_id}/feedback", status_code=status.HTTP_201_CREATED)
def create_rule(
    course_id: CourseId, body: RuleCreate, user: CurrentUser, session: SessionDep, platform: PlatformDep
) -> feedback.RulePublic:
    """Reusable feedback for a failure pattern: from a submission's, or a step and kind given outright."""
    access = course_access(session, user=user, course_id=course_id, need=Need.STAFF)
    with refused_as_422():
        if body.submission_id is not None:
            row = learner_submission(session, access, submission_id=body.submission_id)
            rule = feedback.rule_from_submission(
                session, submission=row, course_id=course_id, body=body.body, author=user
            )
        else:
            assert body.exercise is not None and body.step is not None and body.kind is not None
            exercise = platform.catalog.get(body.exercise)
            if exercise is None:
                raise CourseError(f"exercise: there is no lesson {body.exercise!r}")
            if body.step > len(exercise.execution_table):
                raise CourseError(f"step: {body.exercise} has steps 1 to {len(exercise.execution_table)}")
            rule = feedback.create_rule(
                session,
                course_id=course_id,
                exercise_slug=body.exercise,
                step_n=body.step,
                kind=body.kind,
                body=body.body,
                author=user,
            )
    return next(r for r in feedback.rules_of(session, course_id=course_id) if r.id == rule.id)


@router.delete("/courses/{course_id}/feedback/{rule_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_rule(course_id: CourseId, rule_id: RuleId, user: CurrentUser, session: SessionDep) -> Response:
    """Stop showing a reusable feedback."""
    course_access(session, user=user, course_id=course_id, need=Need.STAFF)
    rule = session.get(FeedbackRule, rule_id)
    if rule is None or rule.course_id != course_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no reusable feedback {rule_id} in course {course_id}")
    feedback.delete_rule(session, rule=rule)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
