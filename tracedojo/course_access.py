"""Who may see what of a course: its members see it, its staff manage it, everyone else gets nothing.

Another course's data answers 404 (as if it did not exist) to staff of other courses, and a
staff-only route answers 403 to a learner, as the global instructor routes do.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from fastapi import HTTPException, status
from sqlmodel import Session

from tracedojo.assignments import LearnerGrade, assignments_of, get_assignment, learner_grade
from tracedojo.course_models import Assignment, Course, CourseMember, CourseRole, as_utc
from tracedojo.courses import get_course, is_staff_anywhere, membership, shared_staff_courses
from tracedojo.models import Submission, User, utcnow
from tracedojo.platform_state import Platform


class Need(IntEnum):
    MEMBER = 0
    STAFF = 1  # instructor or assistant
    INSTRUCTOR = 2


@dataclass(frozen=True)
class CourseAccess:
    course: Course
    role: CourseRole
    user: User

    @property
    def staff(self) -> bool:
        return self.role.staff


def _missing(course_id: int) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"no course {course_id}")


def course_access(session: Session, *, user: User, course_id: int, need: Need = Need.MEMBER) -> CourseAccess:
    assert user.id is not None
    course = get_course(session, course_id=course_id)
    member: CourseMember | None = membership(session, course_id=course_id, user_id=user.id) if course else None
    if course is None or member is None:
        # Learners asking for staff pages learn they are for staff; anything else learns nothing.
        if need >= Need.STAFF and not user.is_instructor and not is_staff_anywhere(session, user_id=user.id):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "course staff only")
        raise _missing(course_id)
    role = CourseRole(member.role)
    if need >= Need.STAFF and not role.staff:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "course staff only")
    if need >= Need.INSTRUCTOR and role != CourseRole.INSTRUCTOR:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the course's instructors only; assistants cannot change this")
    return CourseAccess(course=course, role=role, user=user)


def assignment_in(session: Session, access: CourseAccess, *, assignment_id: int) -> Assignment:
    """The course's assignment; a learner does not see one before its release."""
    assignment = get_assignment(session, assignment_id=assignment_id)
    if (
        assignment is None
        or assignment.course_id != access.course.id
        or (not access.staff and as_utc(assignment.release_at) > utcnow())
    ):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no assignment {assignment_id} in course {access.course.id}")
    return assignment


def learner_submission(session: Session, access: CourseAccess, *, submission_id: int) -> Submission:
    """A submission by one of the course's learners, for its staff; any other answers 404."""
    row = session.get(Submission, submission_id)
    assert access.user.id is not None and access.course.id is not None
    if row is None or access.course.id not in shared_staff_courses(
        session, staff_id=access.user.id, learner_id=row.user_id
    ):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no submission {submission_id} in course {access.course.id}")
    return row


def may_read_feedback(session: Session, *, user: User, submission: Submission) -> bool:
    """The owner reads the feedback on their work; so does the staff of a course they learn in."""
    assert user.id is not None
    return submission.user_id == user.id or bool(
        shared_staff_courses(session, staff_id=user.id, learner_id=submission.user_id)
    )


def lesson_title(platform: Platform, slug: str) -> str:
    exercise = platform.catalog.get(slug)
    return exercise.title if exercise else slug


def visible_assignments(
    session: Session, platform: Platform, access: CourseAccess
) -> list[tuple[Assignment, LearnerGrade | None]]:
    """Staff see every assignment; a learner sees the released ones, each with their own grade."""
    assert access.course.id is not None and access.user.id is not None
    found: list[tuple[Assignment, LearnerGrade | None]] = []
    now = utcnow()
    for assignment in assignments_of(session, course_id=access.course.id):
        if access.staff:
            found.append((assignment, None))
        elif as_utc(assignment.release_at) <= now:
            grade = learner_grade(session, assignment=assignment, user_id=access.user.id, lessons=platform.catalog)
            found.append((assignment, grade))
    return found
