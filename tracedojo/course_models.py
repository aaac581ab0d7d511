"""Tables of courses: members with their role, assignments with deadlines, extensions, feedback.

Times are stored in UTC (sqlmodel's UTCDateTime refuses a time without a zone, so writers pass
``as_utc(...)``); pages show them in the viewer's zone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from tracedojo.models import utcnow


def as_utc(moment: datetime) -> datetime:
    """Any time as an aware UTC time; a time without a zone is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class CourseRole(StrEnum):
    INSTRUCTOR = "instructor"
    ASSISTANT = "assistant"
    LEARNER = "learner"

    @property
    def staff(self) -> bool:
        return self in (CourseRole.INSTRUCTOR, CourseRole.ASSISTANT)


class Enrolment(StrEnum):
    """How a member came in: the course's join code, the command line, the LMS, or by its creator."""

    JOIN_CODE = "join_code"
    COMMAND_LINE = "command_line"
    LMS = "lms"
    STAFF = "staff"


class Course(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=120)
    join_code: str = Field(index=True, unique=True, max_length=16)
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class CourseMember(SQLModel, table=True):
    __tablename__ = "course_member"
    __table_args__ = (UniqueConstraint("course_id", "user_id", name="uq_course_member"),)

    id: int | None = Field(default=None, primary_key=True)
    course_id: int = Field(foreign_key="course.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    role: CourseRole = Field(default=CourseRole.LEARNER, sa_type=String(16))
    enrolment: Enrolment = Field(default=Enrolment.JOIN_CODE, sa_type=String(16))
    created_at: datetime = Field(default_factory=utcnow)


class Assignment(SQLModel, table=True):
    """A lesson set in a course in one of its modes: points, release, due date, and late credit until a later
    date. ``mode`` is a key of ``tracedojo.assignment_work.ASSIGNABLE_MODES`` (write: the whole endpoint)."""

    __table_args__ = (UniqueConstraint("course_id", "exercise_slug", "mode", name="uq_assignment_lesson_mode"),)

    id: int | None = Field(default=None, primary_key=True)
    course_id: int = Field(foreign_key="course.id", index=True)
    exercise_slug: str = Field(index=True, max_length=64)
    mode: str = Field(default="write", max_length=16, sa_column_kwargs={"server_default": "write"})
    points: float = 10.0
    release_at: datetime
    due_at: datetime
    # Work after due_at and up to late_until earns late_credit (a fraction) of its score.
    late_until: datetime | None = None
    late_credit: float = 0.0
    created_at: datetime = Field(default_factory=utcnow)


class Extension(SQLModel, table=True):
    """One learner's own due date (and late date) for an assignment."""

    __tablename__ = "assignment_extension"
    __table_args__ = (UniqueConstraint("assignment_id", "user_id", name="uq_extension_learner"),)

    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="assignment.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    due_at: datetime
    late_until: datetime | None = None
    granted_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class DeadlineChange(SQLModel, table=True):
    """An edit of an assignment's dates or an extension, with every grade it changed."""

    __tablename__ = "deadline_change"

    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="assignment.id", index=True)
    requested_by: int | None = Field(default=None, foreign_key="user.id")
    what: str = Field(max_length=200)
    changes: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, default=list))
    created_at: datetime = Field(default_factory=utcnow)


class SubmissionComment(SQLModel, table=True):
    """Course staff's comment on a submission, on one line of its code or on the whole."""

    __tablename__ = "submission_comment"

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", index=True)
    course_id: int = Field(foreign_key="course.id", index=True)
    author_id: int = Field(foreign_key="user.id")
    line: int | None = None
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    seen_at: datetime | None = None  # when the learner opened it; unseen ones are announced on their home page


class FeedbackRule(SQLModel, table=True):
    """Reusable feedback: shown on every later submission of the course whose first failure matches."""

    __tablename__ = "feedback_rule"

    id: int | None = Field(default=None, primary_key=True)
    course_id: int = Field(foreign_key="course.id", index=True)
    exercise_slug: str = Field(index=True, max_length=64)
    step_n: int  # the first failing trace row
    kind: str = Field(max_length=32)  # the kind of its message: see feedback.failure_kind
    body: str = Field(sa_column=Column(Text, nullable=False))
    author_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
