"""Request and response bodies of the course API (FastAPI-template model families)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tracedojo.assignment_work import ASSIGNABLE_MODES, WRITE, UnknownMode, checked_mode
from tracedojo.assignments import LearnerGrade, dates_of
from tracedojo.course_models import Assignment, Course, CourseRole, as_utc
from tracedojo.course_times import TimeInputError, in_zone, zone
from tracedojo.models import USERNAME_PATTERN
from tracedojo.modes import mode_named
from tracedojo.text_clean import CleanText

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
Points = Annotated[float, Field(gt=0, le=10_000, description="what the assignment is worth")]
LateCredit = Annotated[float, Field(ge=0, le=1, description="fraction of the score late work earns, 0 to 1")]
TimeZoneName = Annotated[
    str | None,
    Field(default=None, max_length=64, description="IANA zone for times written without an offset"),
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Zoned(_Body):
    """A body whose times may be wall-clock times in ``time_zone``; they leave as UTC."""

    time_zone: TimeZoneName = None
    _times: ClassVar[tuple[str, ...]] = ()

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                zone(value)
            except TimeInputError as exc:
                raise ValueError(str(exc).removeprefix("time_zone: ")) from None
        return value

    @model_validator(mode="after")
    def _to_utc(self) -> Self:
        for name in self._times:
            value = getattr(self, name)
            if value is not None:
                try:
                    object.__setattr__(self, name, in_zone(value, self.time_zone, field=name))
                except TimeInputError as exc:
                    raise ValueError(str(exc)) from None
        return self


ModeName = Annotated[
    str,
    Field(max_length=16, description=f"the lesson's mode the grade comes from: {', '.join(ASSIGNABLE_MODES)}"),
]


def _graded_mode(value: str | None) -> str | None:
    if value is not None:
        try:
            checked_mode(value)
        except UnknownMode as exc:
            raise ValueError(str(exc).removeprefix("mode: ")) from None
    return value


class CourseCreate(_Body):
    title: str = Field(min_length=1, max_length=120)

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("is blank; give the course a title")
        return value.strip()


class JoinRequest(_Body):
    code: str = Field(min_length=1, max_length=32, description="the join code your instructor gave")


class MemberAdd(_Body):
    username: str = Field(max_length=32, json_schema_extra={"pattern": USERNAME_PATTERN})
    role: CourseRole = CourseRole.LEARNER


class AssignmentCreate(_Zoned):
    _times: ClassVar[tuple[str, ...]] = ("release_at", "due_at", "late_until")

    exercise: str = Field(max_length=64, pattern=SLUG_PATTERN, description="the lesson's slug")
    mode: ModeName = WRITE
    points: Points = 10.0
    release_at: datetime | None = Field(default=None, description="default: now")
    due_at: datetime
    late_until: datetime | None = None
    late_credit: LateCredit = 0.0

    _mode = field_validator("mode")(_graded_mode)


class AssignmentEdit(_Zoned):
    """Only the fields sent change; ``"late_until": null`` ends the late period."""

    _times: ClassVar[tuple[str, ...]] = ("release_at", "due_at", "late_until")

    mode: ModeName | None = None
    points: Points | None = None
    release_at: datetime | None = None
    due_at: datetime | None = None
    late_until: datetime | None = None
    late_credit: LateCredit | None = None

    _mode = field_validator("mode")(_graded_mode)

    @model_validator(mode="after")
    def _something(self) -> Self:
        if not self.model_fields_set - {"time_zone"}:
            raise ValueError("nothing to change; send mode, points, release_at, due_at, late_until or late_credit")
        return self


class ExtensionGrant(_Zoned):
    _times: ClassVar[tuple[str, ...]] = ("due_at", "late_until")

    due_at: datetime
    late_until: datetime | None = None


class CommentCreate(_Body):
    body: CleanText = Field(min_length=1, max_length=4000)
    line: int | None = Field(default=None, ge=1, le=100_000, description="a line of the code; none for the whole")


class RuleCreate(_Body):
    """Reusable feedback: from a submission's failure pattern, or for a step and kind given outright."""

    body: CleanText = Field(min_length=1, max_length=4000)
    submission_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    exercise: str | None = Field(default=None, max_length=64, pattern=SLUG_PATTERN)
    step: int | None = Field(default=None, ge=1, le=1000)
    kind: str | None = Field(default=None, max_length=32)

    @model_validator(mode="after")
    def _pattern_given(self) -> Self:
        outright = (self.exercise, self.step, self.kind)
        if self.submission_id is None and None in outright:
            raise ValueError("send submission_id, or exercise, step and kind together")
        if self.submission_id is not None and any(v is not None for v in outright):
            raise ValueError("send submission_id or exercise/step/kind, not both")
        return self


class CoursePublic(BaseModel):
    id: int
    title: str
    role: CourseRole
    join_code: str | None  # staff only
    created_at: datetime

    @classmethod
    def of(cls, course: Course, role: CourseRole) -> CoursePublic:
        assert course.id is not None
        return cls(
            id=course.id,
            title=course.title,
            role=role,
            join_code=course.join_code if role.staff else None,
            created_at=as_utc(course.created_at),
        )


class AssignmentPublic(BaseModel):
    id: int
    course_id: int
    exercise: str
    mode: str
    url: str  # the mode's page, where the learner does the work
    title: str
    points: float
    release_at: datetime
    due_at: datetime
    late_until: datetime | None
    late_credit: float
    grade: LearnerGrade | None = None  # the viewer's own, for a learner

    @classmethod
    def of(cls, assignment: Assignment, *, title: str, grade: LearnerGrade | None = None) -> AssignmentPublic:
        assert assignment.id is not None
        dates = dates_of(assignment)
        return cls(
            id=assignment.id,
            course_id=assignment.course_id,
            exercise=assignment.exercise_slug,
            mode=assignment.mode,
            url=mode_url(assignment),
            title=title,
            points=assignment.points,
            release_at=dates.release_at,
            due_at=dates.due_at,
            late_until=dates.late_until,
            late_credit=assignment.late_credit,
            grade=grade,
        )


def mode_choices() -> list[tuple[str, str, str]]:
    """(key, title, how its grade is made) of each mode an assignment can name, in the lesson's order."""
    found = []
    for key, how in ASSIGNABLE_MODES.items():
        mode = mode_named(key)
        found.append((key, mode.title if mode else key, how))
    return found


def mode_url(assignment: Assignment) -> str:
    """The page of the assignment's mode in its lesson."""
    mode = mode_named(assignment.mode)
    return mode.url(assignment.exercise_slug) if mode else f"/exercises/{assignment.exercise_slug}"


class CourseDetail(CoursePublic):
    assignments: list[AssignmentPublic]


class MemberPublic(BaseModel):
    user_id: int
    username: str
    role: CourseRole
    enrolment: str
