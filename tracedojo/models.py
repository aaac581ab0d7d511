"""Database tables and the public shapes built from them (FastAPI-template model families)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator
from pydantic import Field as PydanticField
from sqlalchemy import JSON, Column, Integer, String, Text
from sqlmodel import Field, SQLModel

from grader.results import CleanText, Results, StepResult

# Ids are INTEGER columns, 32 bits on PostgreSQL: a larger id in a URL is refused by name
# instead of reaching the database (which would fail the query: a 500 there, a 404 on SQLite).
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(UTC)


class Role(StrEnum):
    LEARNER = "learner"
    INSTRUCTOR = "instructor"


class SubmissionStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"

    @property
    def final(self) -> bool:
        return self not in (SubmissionStatus.QUEUED, SubmissionStatus.RUNNING)


def parse_steps(stored: Any) -> list[StepResult]:
    """A result's stored steps (a JSON column) as the grader's ``StepResult``: the one place they are read.

    A row that is not a step (data from an older or foreign grader) is left out rather than failing a page.
    """
    if not isinstance(stored, list):
        return []
    steps = []
    for item in stored:
        try:
            steps.append(StepResult.model_validate(item))
        except ValidationError:
            continue
    return steps


def first_failure(steps: Sequence[StepResult]) -> StepResult | None:
    """The first step that did not pass (skipped steps come after it)."""
    return next((s for s in steps if s.status not in ("passed", "skipped")), None)


class GradedResult(BaseModel):
    """The result columns of a submission, current or kept by a regrade: the one place that names them.

    ``max_score`` None leaves that column as it is (an error keeps the exercise's maximum).
    """

    status: SubmissionStatus
    score: float | None = None
    max_score: float | None = None
    # Learner text (``text_clean``): also cleans a row stored before results were cleaned by the grader.
    message: CleanText = ""
    output: CleanText = ""
    duration_ms: float | None = None
    steps: list[StepResult] = []

    @classmethod
    def of_results(cls, results: Results) -> GradedResult:
        return cls(
            status=SubmissionStatus(results.status.value),
            score=results.score,
            max_score=results.max_score,
            message=results.message,
            output=results.output,
            duration_ms=results.duration_ms,
            steps=results.steps,
        )

    @classmethod
    def of_row(cls, row: Submission | SubmissionResult) -> GradedResult:
        return cls(
            status=row.status,
            score=row.score,
            max_score=row.max_score,
            message=row.message,
            output=row.output,
            duration_ms=row.duration_ms,
            steps=parse_steps(row.steps),
        )

    def columns(self) -> dict[str, Any]:
        """The values to store (an UPDATE's or a row's), steps as the JSON the column holds."""
        values: dict[str, Any] = {
            "status": self.status.value,
            "score": self.score,
            "message": self.message,
            "output": self.output,
            "duration_ms": self.duration_ms,
            "steps": [step.model_dump(mode="json") for step in self.steps],
        }
        if self.max_score is not None:
            values["max_score"] = self.max_score
        return values


USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{2,31}$"
USERNAME_RULE = "use 3 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit"


class UserBase(SQLModel):
    username: str = Field(index=True, unique=True, max_length=32)
    role: Role = Field(default=Role.LEARNER, sa_type=String(16))


class UserCreate(BaseModel):
    # Unknown fields are refused: a client sending {"role": "instructor"} should learn it had no effect.
    model_config = ConfigDict(extra="forbid")

    username: str = PydanticField(
        description="3-32 letters, digits, '.', '_' or '-'", json_schema_extra={"pattern": USERNAME_PATTERN}
    )
    password: str = PydanticField(min_length=8, max_length=128)

    @field_validator("username")
    @classmethod
    def _username(cls, value: str) -> str:
        if re.fullmatch(USERNAME_PATTERN, value) is None:
            raise ValueError(f"{value[:40]!r} is not a valid username: {USERNAME_RULE}")
        return value.lower()

    @field_validator("password")
    @classmethod
    def _strong_password(cls, value: str, info: ValidationInfo) -> str:
        from tracedojo.passwords import password_problem

        username = info.data.get("username")
        problem = password_problem(value, username=username if isinstance(username, str) else "")
        if problem is not None:
            raise ValueError(problem)
        return value


class UserPublic(UserBase):
    id: int


class User(UserBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    password_hash: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=utcnow)

    @property
    def is_instructor(self) -> bool:
        return self.role == Role.INSTRUCTOR


class QuizAnswer(SQLModel, table=True):
    """Every attempt at a quiz question, right or wrong."""

    __tablename__ = "quiz_answer"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    exercise_slug: str = Field(index=True, max_length=64)
    exercise_version: str = Field(max_length=32)
    question_id: str = Field(max_length=64)
    choice: str = Field(max_length=4)
    correct: bool
    created_at: datetime = Field(default_factory=utcnow)


class Submission(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    exercise_slug: str = Field(index=True, max_length=64)
    exercise_version: str = Field(max_length=32)
    code: str = Field(sa_column=Column(Text, nullable=False))
    status: SubmissionStatus = Field(default=SubmissionStatus.QUEUED, index=True, sa_type=String(16))
    score: float | None = None
    max_score: float
    message: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    output: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    duration_ms: float | None = None
    steps: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, default=list))
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    # The grading lease (scale-out): who holds the submission, until when, and the claim's token;
    # only the holder of the current token may store the final result.
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0, server_default="0"))
    worker_id: str | None = Field(default=None, max_length=128)
    lease_token: str | None = Field(default=None, max_length=32)
    lease_until: datetime | None = Field(default=None, index=True)

    @property
    def step_results(self) -> list[StepResult]:
        return parse_steps(self.steps)


class SubmissionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = PydanticField(description="the Python source of the submission")

    @field_validator("code")
    @classmethod
    def _source_text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("is empty; write your endpoint first")
        if "\x00" in value:
            # PostgreSQL text cannot hold it either, so it is refused before anything is stored.
            raise ValueError(
                f"contains a NUL character (line {_line_of(value, value.index(chr(0)))}); "
                "Python source cannot contain NUL bytes"
            )
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:  # a lone surrogate, as JSON's "\ud800" allows
            raise ValueError(
                f"contains {value[exc.start]!r}, half of a surrogate pair (line {_line_of(value, exc.start)}); "
                "it is not valid Unicode text"
            ) from None
        return value


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


class SubmissionQueued(SQLModel):
    id: int
    status: SubmissionStatus


class SubmissionPublic(SQLModel):
    """The SPEC's result object plus ``id`` and the live ``status``."""

    id: int
    exercise: str
    exercise_version: str
    submission: str
    status: SubmissionStatus
    score: float | None
    max_score: float
    message: str
    output: str
    duration_ms: float | None
    steps: list[StepResult]
    created_at: datetime
    finished_at: datetime | None
    queue_position: int | None = PydanticField(
        default=None, description="while queued: how many queued submissions are ahead of this one"
    )

    @classmethod
    def of(cls, row: Submission) -> SubmissionPublic:
        assert row.id is not None
        result = GradedResult.of_row(row)
        return cls(
            id=row.id,
            exercise=row.exercise_slug,
            exercise_version=row.exercise_version,
            submission=submission_name(row.id),
            status=result.status,
            score=result.score,
            max_score=row.max_score,
            message=result.message,
            output=result.output,
            duration_ms=result.duration_ms,
            steps=result.steps,
            created_at=row.created_at,
            finished_at=row.finished_at,
        )


def submission_name(submission_id: int) -> str:
    return f"submission-{submission_id}.py"


class Regrade(SQLModel, table=True):
    """One regrade of an exercise's stored submissions, from the dashboard or ``tracedojo regrade``."""

    id: int | None = Field(default=None, primary_key=True)
    exercise_slug: str = Field(index=True, max_length=64)
    exercise_version: str = Field(max_length=32)
    requested_by: int | None = Field(default=None, foreign_key="user.id")
    submissions: int = 0
    created_at: datetime = Field(default_factory=utcnow)


class SubmissionResult(SQLModel, table=True):
    """A submission's earlier result, kept when a regrade replaces it."""

    __tablename__ = "submission_result"

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", index=True)
    regrade_id: int = Field(foreign_key="regrade.id", index=True)
    exercise_version: str = Field(max_length=32)
    status: SubmissionStatus = Field(sa_type=String(16))
    score: float | None = None
    max_score: float
    message: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    output: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    duration_ms: float | None = None
    steps: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, default=list))
    graded_at: datetime | None = None

    @property
    def step_results(self) -> list[StepResult]:
        return parse_steps(self.steps)
