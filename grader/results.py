"""One results model that every output format reads."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"


class StepStatus(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    TIMEOUT = "timeout"
    ERROR = "error"
    SKIPPED = "skipped"


class StepResult(BaseModel):
    n: int
    title: str
    status: StepStatus
    expected: str = ""
    actual: str = ""
    message: str = ""
    duration_ms: float = 0.0
    variables: dict[str, str] = {}  # the learner's endpoint variables after this row (their own trace)


class Results(BaseModel):
    exercise: str
    submission: str
    status: Status
    score: float
    max_score: float
    message: str = ""
    output: str = ""
    duration_ms: float = 0.0
    steps: list[StepResult] = []

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED

    def failed_step(self) -> StepResult | None:
        """The first step that did not pass (skipped steps come after it)."""
        return next((s for s in self.steps if s.status not in (StepStatus.PASSED, StepStatus.SKIPPED)), None)
