"""Factories for the course tests: courses, assignments and submissions graded at a chosen time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from factories import create_learner
from sqlmodel import Session

from tracedojo.assignments import create_assignment
from tracedojo.course_models import Assignment, Course, CourseRole
from tracedojo.courses import add_member, create_course
from tracedojo.models import Role, Submission, SubmissionStatus, User

DUE = datetime(2025, 3, 14, 23, 59, tzinfo=UTC)  # past: the gradebook can tell missing work


def create_course_with_staff(session: Session, *, title: str = "WebSockets 101") -> tuple[Course, User]:
    instructor = create_learner(session, role=Role.INSTRUCTOR)
    return create_course(session, title=title, created_by=instructor), instructor


def enrol(session: Session, course: Course, *, role: CourseRole = CourseRole.LEARNER) -> User:
    user = create_learner(session)
    add_member(session, course=course, user=user, role=role)
    return user


def create_echo_assignment(
    session: Session, course: Course, *, due: datetime = DUE, late_days: float | None = 2, late_credit: float = 0.5
) -> Assignment:
    assert course.id is not None
    return create_assignment(
        session,
        course_id=course.id,
        exercise_slug="echo-once",
        points=10,
        release_at=due - timedelta(days=7),
        due_at=due,
        late_until=due + timedelta(days=late_days) if late_days is not None else None,
        late_credit=late_credit,
    )


def graded_submission(
    session: Session,
    user: User,
    *,
    at: datetime,
    score: float,
    max_score: float = 7.0,
    slug: str = "echo-once",
    steps: list[dict[str, Any]] | None = None,
) -> Submission:
    """A submission made at ``at`` and already graded (the grade policy reads only its time and score)."""
    assert user.id is not None
    row = Submission(
        user_id=user.id,
        exercise_slug=slug,
        exercise_version="test",
        code="async def endpoint(websocket):\n    await websocket.accept()\n",
        status=SubmissionStatus.PASSED if score == max_score else SubmissionStatus.FAILED,
        score=score,
        max_score=max_score,
        steps=steps or [],
        created_at=at,
        finished_at=at + timedelta(seconds=1),
    )
    session.add(row)
    session.commit()
    session.refresh(row)
    return row
