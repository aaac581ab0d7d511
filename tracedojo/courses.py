"""Courses and their members: creating a course, enrolling (join code, command line, LMS), roles.

Data access functions take keyword-only arguments and commit their own change; the LTI adapter and
the command line call them as the routes do.
"""

from __future__ import annotations

import secrets

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from tracedojo.course_models import Course, CourseMember, CourseRole, Enrolment
from tracedojo.models import User

# No 0/O, 1/I/L: a code is read off a projector and typed by hand.
_JOIN_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 8


class CourseError(ValueError):
    """A request about a course that cannot be done as asked; the message says why."""


def new_join_code() -> str:
    return "".join(secrets.choice(_JOIN_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def normalise_join_code(code: str) -> str:
    """What a learner typed, as stored: case and spaces or dashes between groups do not matter."""
    return "".join(code.split()).replace("-", "").upper()


def create_course(session: Session, *, title: str, created_by: User | None = None) -> Course:
    """A new course with a fresh join code; its creator (if any) becomes its instructor."""
    title = title.strip()
    if not title:
        raise CourseError("a course needs a title")
    for _ in range(5):  # a clash among 31**8 codes is rare, but the unique index has the last word
        course = Course(title=title, join_code=new_join_code(), created_by=created_by.id if created_by else None)
        session.add(course)
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            continue
        if created_by is not None and created_by.id is not None:
            assert course.id is not None
            session.add(
                CourseMember(
                    course_id=course.id, user_id=created_by.id, role=CourseRole.INSTRUCTOR, enrolment=Enrolment.STAFF
                )
            )
        session.commit()
        session.refresh(course)
        return course
    raise CourseError("could not find an unused join code; try again")


def add_member(
    session: Session,
    *,
    course: Course,
    user: User,
    role: CourseRole = CourseRole.LEARNER,
    enrolment: Enrolment = Enrolment.COMMAND_LINE,
) -> CourseMember:
    """Enrol ``user`` in ``course`` with ``role``; an existing member gets the new role (the LMS's word wins)."""
    assert course.id is not None and user.id is not None
    member = membership(session, course_id=course.id, user_id=user.id)
    if member is None:
        member = CourseMember(course_id=course.id, user_id=user.id, role=role, enrolment=enrolment)
    else:
        member.role = role
    session.add(member)
    session.commit()
    session.refresh(member)
    return member


def remove_member(session: Session, *, course: Course, user: User) -> bool:
    assert course.id is not None and user.id is not None
    member = membership(session, course_id=course.id, user_id=user.id)
    if member is None:
        return False
    session.delete(member)
    session.commit()
    return True


def join_with_code(session: Session, *, user: User, code: str) -> tuple[Course, CourseMember]:
    """A learner joins the course whose join code they typed; joining twice keeps the first role."""
    course = session.exec(select(Course).where(Course.join_code == normalise_join_code(code))).first()
    if course is None:
        raise CourseError(f"no course has the join code {code.strip()[:32]!r}; check it with your instructor")
    assert course.id is not None and user.id is not None
    member = membership(session, course_id=course.id, user_id=user.id)
    if member is None:
        member = add_member(session, course=course, user=user, role=CourseRole.LEARNER, enrolment=Enrolment.JOIN_CODE)
    return course, member


def new_code_for(session: Session, *, course: Course) -> Course:
    """Replace a course's join code (a leaked code stops working; members stay)."""
    course.join_code = new_join_code()
    session.add(course)
    session.commit()
    session.refresh(course)
    return course


def get_course(session: Session, *, course_id: int) -> Course | None:
    return session.get(Course, course_id)


def membership(session: Session, *, course_id: int, user_id: int) -> CourseMember | None:
    return session.exec(
        select(CourseMember).where(CourseMember.course_id == course_id, CourseMember.user_id == user_id)
    ).first()


def role_in(session: Session, *, course_id: int, user_id: int) -> CourseRole | None:
    member = membership(session, course_id=course_id, user_id=user_id)
    return CourseRole(member.role) if member else None


def courses_of(session: Session, *, user_id: int) -> list[tuple[Course, CourseRole]]:
    """Every course the user belongs to, with their role there, in the order they joined."""
    rows = session.exec(
        select(Course, CourseMember.role)
        .join(CourseMember, col(CourseMember.course_id) == col(Course.id))
        .where(CourseMember.user_id == user_id)
        .order_by(col(CourseMember.id))
    ).all()
    return [(course, CourseRole(role)) for course, role in rows]


def is_staff_anywhere(session: Session, *, user_id: int) -> bool:
    return (
        session.exec(
            select(CourseMember.id).where(
                CourseMember.user_id == user_id,
                col(CourseMember.role).in_([CourseRole.INSTRUCTOR, CourseRole.ASSISTANT]),
            )
        ).first()
        is not None
    )


def members(session: Session, *, course_id: int, role: CourseRole | None = None) -> list[tuple[User, CourseMember]]:
    query = (
        select(User, CourseMember)
        .join(CourseMember, col(CourseMember.user_id) == col(User.id))
        .where(CourseMember.course_id == course_id)
    )
    if role is not None:
        query = query.where(CourseMember.role == role)
    return list(session.exec(query.order_by(col(User.username))).all())


def shared_staff_courses(session: Session, *, staff_id: int, learner_id: int) -> list[int]:
    """Courses where ``staff_id`` teaches and ``learner_id`` is a learner: what makes their work visible."""
    taught = select(CourseMember.course_id).where(
        CourseMember.user_id == staff_id,
        col(CourseMember.role).in_([CourseRole.INSTRUCTOR, CourseRole.ASSISTANT]),
    )
    return list(
        session.exec(
            select(CourseMember.course_id)
            .where(
                CourseMember.user_id == learner_id,
                CourseMember.role == CourseRole.LEARNER,
                col(CourseMember.course_id).in_(taught),
            )
            .order_by(col(CourseMember.course_id))
        ).all()
    )
