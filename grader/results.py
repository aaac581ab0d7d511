"""One results model that every output format reads.

Much of the text in a result comes from the learner: their output, exception messages, the messages
their endpoint sent, their variables, even the submission's file name. It is cleaned once, here, as it
enters the model (``CleanText``), so every renderer (terminal, JSON, CSV, Gradescope, Exercism, the
platform's pages) can use it as it is: a lone surrogate cannot fail an encoder, and escape or control
sequences (ESC, OSC, C1 controls, bidirectional overrides) are shown as visible escapes instead of
reaching a terminal or a page raw.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field

# Control characters other than tab and newline, DEL and the C1 controls, lone surrogates, and the
# bidirectional overrides and isolates that can make text read in another order than it is stored.
# A carriage return stays: JSON and CSV quote it, and Rich drops it from terminal text.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

FRAME_PAYLOAD_LIMIT = 200  # characters of a frame's payload kept in a result
FRAMES_PER_STEP = 32


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def clean_text(text: str) -> str:
    """``text`` with every unsafe character replaced by its visible escape (``\\x1b``, ``\\udc80``)."""
    return _UNSAFE.sub(_escape, text)


CleanText = Annotated[str, AfterValidator(clean_text)]


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


FrameDirection = Literal["to_server", "to_client"]
FrameType = Literal["connect", "accept", "deny", "text", "bytes", "json", "close"]


class Frame(BaseModel):
    """Something that crossed the wire during a row, as the trace's client saw it (display only).

    ``payload``: text as sent, bytes as hex, JSON as compact JSON text, the path of a connect; cut to
    ``FRAME_PAYLOAD_LIMIT`` characters (``truncated`` says so). ``code``: a close's code, or a denial's
    HTTP status.
    """

    client: CleanText
    direction: FrameDirection
    type: FrameType
    payload: CleanText | None = None
    truncated: bool = False
    code: int | None = None
    reason: CleanText | None = None
    subprotocol: CleanText | None = None


class StepResult(BaseModel):
    n: int
    title: CleanText
    status: StepStatus
    expected: CleanText = ""
    actual: CleanText = ""
    message: CleanText = ""
    duration_ms: float = 0.0
    variables: dict[CleanText, CleanText] = {}  # the learner's endpoint variables after this row (their own trace)
    # What crossed the wire during this row, in order (at most FRAMES_PER_STEP), and the line of the learner's
    # file where their endpoint was paused after it. Both for display; neither affects a verdict.
    frames: list[Frame] = Field(default=[], max_length=FRAMES_PER_STEP)
    paused_line: int | None = Field(default=None, ge=1)


class Results(BaseModel):
    exercise: CleanText
    submission: CleanText
    status: Status
    score: float
    max_score: float
    message: CleanText = ""
    output: CleanText = ""
    duration_ms: float = 0.0
    steps: list[StepResult] = []

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED

    def failed_step(self) -> StepResult | None:
        """The first step that did not pass (skipped steps come after it)."""
        return next((s for s in self.steps if s.status not in (StepStatus.PASSED, StepStatus.SKIPPED)), None)
