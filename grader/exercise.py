"""The exercise model: every section of a lesson plus a check per execution-table row."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from grader.checks import StepCheck, normalize_action

_CHOICE_LETTERS = ("A", "B", "C", "D", "E", "F")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConceptFlow(_Section):
    nodes: list[str] = Field(min_length=2)
    caption: str


class CodeSample(_Section):
    language: str = "python"
    code: str
    caption: str


class TraceStep(_Section):
    """One row of the execution table and the check the grader performs for it."""

    n: int = Field(ge=1)
    action: str
    evaluation: str
    result: str
    check: list[StepCheck] = Field(min_length=1)
    # The sample-code lines this row executes (1-based), for the stepper's "just ran" marker.
    lines: list[int] = []

    @field_validator("check", mode="before")
    @classmethod
    def _normalize(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [normalize_action(item) for item in value]
        return [normalize_action(value)]

    @property
    def title(self) -> str:
        return self.action


class TrackedVariable(_Section):
    name: str
    values: list[str]


class VariableTracker(_Section):
    columns: list[str] = Field(min_length=1)
    rows: list[TrackedVariable] = Field(min_length=1)

    @model_validator(mode="after")
    def _rectangular(self) -> VariableTracker:
        for row in self.rows:
            if len(row.values) != len(self.columns):
                raise ValueError(
                    f"variable {row.name!r} has {len(row.values)} values "
                    f"but the tracker has {len(self.columns)} columns"
                )
        return self


class KeyMoment(_Section):
    question: str
    answer: str
    steps: list[int] = []


class QuizQuestion(_Section):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    prompt: str
    choices: dict[str, str]
    answer: str
    hint: str
    explanation: str

    @model_validator(mode="after")
    def _answer_is_a_choice(self) -> QuizQuestion:
        letters = list(self.choices)
        if not 2 <= len(letters) <= len(_CHOICE_LETTERS) or letters != list(_CHOICE_LETTERS[: len(letters)]):
            raise ValueError(f"choices must be lettered A, B, C... in order; got {', '.join(letters)}")
        if self.answer not in self.choices:
            raise ValueError(f"answer {self.answer!r} is not one of the choices {', '.join(letters)}")
        return self


class Snapshot(_Section):
    title: str
    points: list[str] = Field(min_length=1)


class Payload(_Section):
    """A value the trace uses: the lesson shows ``lesson``; replays draw a random ``kind``."""

    lesson: str | int
    kind: Literal["text", "word", "int", "bytes"] = "text"


class Variant(_Section):
    """A known-wrong solution and the execution-table row where it must fail."""

    file: str
    fails_at: int = Field(ge=1)
    why: str


class ModeData(_Section):
    """Optional hints for the lesson's generated modes (Parsons, fill in the blanks); each is derived
    from the sample and the wrong variants when left out."""

    # Sample lines (1-based) whose key part becomes a blank; default: the accept, receive and reply
    # lines the execution table names.
    blank_lines: list[int] = []
    # Extra Parsons distractor lines, as code (indentation ignored); added before the derived ones.
    distractors: list[str] = []
    max_distractors: int = Field(default=3, ge=0, le=8)


class Endpoint(_Section):
    path: str = Field(pattern=r"^/")


class Exercise(_Section):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    topic: str = "FastAPI"
    duration: str = "~10 mins"
    order: int = 100
    builds_on: list[str] = []
    summary: str
    endpoint: Endpoint
    payloads: dict[str, Payload] = {}
    step_timeout: float | None = Field(default=None, gt=0, le=30)
    concept_flow: ConceptFlow
    sample: CodeSample
    execution_table: list[TraceStep] = Field(min_length=1)
    exit_note: str = ""
    variable_tracker: VariableTracker
    key_moments: list[KeyMoment] = Field(min_length=3)
    quiz: list[QuizQuestion] = Field(min_length=3)
    snapshot: Snapshot
    transcript: str
    starter: str = ""
    reference: str = "solution.py"
    also_correct: list[str] = []
    variants: list[Variant] = Field(min_length=3)
    modes: ModeData = ModeData()

    # Set by the loader, not by the file.
    folder: Path = Field(default=Path("."), exclude=True)
    version: str = Field(default="", exclude=True)

    @model_validator(mode="after")
    def _consistent(self) -> Exercise:
        numbers = [row.n for row in self.execution_table]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError(f"execution_table rows must be numbered 1..{len(numbers)} in order; got {numbers}")
        self._check_lines()
        for moment in self.key_moments:
            for n in moment.steps:
                if n not in numbers:
                    raise ValueError(f"key moment {moment.question!r} refers to step {n}, which does not exist")
        for variant in self.variants:
            if variant.fails_at > len(numbers):
                raise ValueError(
                    f"variant {variant.file} fails_at {variant.fails_at}, but there are {len(numbers)} steps"
                )
        self._check_mode_data()
        ids = [q.id for q in self.quiz]
        if len(set(ids)) != len(ids):
            raise ValueError(f"quiz question ids must be unique; got {ids}")
        return self

    def _check_lines(self) -> None:
        """Every row names sample lines that exist, once any row names them (a partial set would
        leave the stepper pointing at nothing for some rows)."""
        sample = self.sample.code.splitlines()
        missing = [row.n for row in self.execution_table if not row.lines]
        if missing and len(missing) < len(self.execution_table):
            raise ValueError(
                f"execution_table step {', '.join(map(str, missing))}: no 'lines'; "
                "give every row the sample lines it executes, or none"
            )
        for index, row in enumerate(self.execution_table):
            for line in row.lines:
                if not 1 <= line <= len(sample):
                    raise ValueError(
                        f"execution_table[{index}] (step {row.n}).lines: line {line} is not in the sample, "
                        f"which has lines 1..{len(sample)}"
                    )
                if not sample[line - 1].strip():
                    raise ValueError(
                        f"execution_table[{index}] (step {row.n}).lines: line {line} of the sample is blank"
                    )

    def _check_mode_data(self) -> None:
        sample = self.sample.code.splitlines()
        for index, line in enumerate(self.modes.blank_lines):
            if not 1 <= line <= len(sample) or not sample[line - 1].strip():
                raise ValueError(
                    f"modes.blank_lines[{index}]: line {line} is not a non-blank line of the sample "
                    f"(lines 1..{len(sample)})"
                )
        written = {" ".join(line.split()) for line in sample}
        for index, text in enumerate(self.modes.distractors):
            if not text.strip() or "\n" in text.strip():
                raise ValueError(f"modes.distractors[{index}]: give one non-empty line of code")
            if " ".join(text.split()) in written:
                raise ValueError(f"modes.distractors[{index}]: {text.strip()!r} is a line of the sample itself")

    @property
    def has_lines(self) -> bool:
        return all(row.lines for row in self.execution_table)

    @property
    def max_score(self) -> float:
        return float(len(self.execution_table))

    def question(self, question_id: str) -> QuizQuestion | None:
        return next((q for q in self.quiz if q.id == question_id), None)

    def source(self, relative: str) -> str:
        return (self.folder / relative).read_text(encoding="utf-8")


def fingerprint(data: bytes) -> str:
    """The exercise version: changes whenever the file changes."""
    return hashlib.sha256(data).hexdigest()[:12]
