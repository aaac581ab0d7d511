"""What a learner may see of an exercise: every lesson section, no quiz answers, no checks."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel

from grader import Exercise, ExerciseError, load_exercise
from grader.loader import DATA_FILE

log = logging.getLogger("tracedojo")


class FlowPublic(BaseModel):
    nodes: list[str]
    caption: str


class SamplePublic(BaseModel):
    language: str
    code: str
    caption: str


class RowPublic(BaseModel):
    n: int
    action: str
    evaluation: str
    result: str


class TrackedVariablePublic(BaseModel):
    name: str
    values: list[str]


class TrackerPublic(BaseModel):
    columns: list[str]
    rows: list[TrackedVariablePublic]


class KeyMomentPublic(BaseModel):
    question: str
    answer: str
    steps: list[int]


class QuestionPublic(BaseModel):
    """A quiz question as a learner sees it: answer, hint and explanation come only as feedback."""

    id: str
    prompt: str
    choices: dict[str, str]


class SnapshotPublic(BaseModel):
    title: str
    points: list[str]


class LessonSummary(BaseModel):
    slug: str
    title: str
    topic: str
    duration: str
    summary: str
    steps: int
    quiz_size: int
    builds_on: list[str]


class LessonPublic(LessonSummary):
    version: str
    path: str
    concept_flow: FlowPublic
    sample: SamplePublic
    execution_table: list[RowPublic]
    exit_note: str
    variable_tracker: TrackerPublic
    key_moments: list[KeyMomentPublic]
    quiz: list[QuestionPublic]
    snapshot: SnapshotPublic
    transcript: str
    starter: str


def summary_of(exercise: Exercise) -> LessonSummary:
    return LessonSummary(
        slug=exercise.slug,
        title=exercise.title,
        topic=exercise.topic,
        duration=exercise.duration,
        summary=exercise.summary,
        steps=len(exercise.execution_table),
        quiz_size=len(exercise.quiz),
        builds_on=list(exercise.builds_on),
    )


def lesson_of(exercise: Exercise) -> LessonPublic:
    # Built field by field (never from model_dump) so a new secret field in the
    # exercise model cannot leak by default.
    return LessonPublic(
        **summary_of(exercise).model_dump(),
        version=exercise.version,
        path=exercise.endpoint.path,
        concept_flow=FlowPublic(nodes=list(exercise.concept_flow.nodes), caption=exercise.concept_flow.caption),
        sample=SamplePublic(
            language=exercise.sample.language, code=exercise.sample.code, caption=exercise.sample.caption
        ),
        execution_table=[
            RowPublic(n=row.n, action=row.action, evaluation=row.evaluation, result=row.result)
            for row in exercise.execution_table
        ],
        exit_note=exercise.exit_note,
        variable_tracker=TrackerPublic(
            columns=list(exercise.variable_tracker.columns),
            rows=[TrackedVariablePublic(name=r.name, values=list(r.values)) for r in exercise.variable_tracker.rows],
        ),
        key_moments=[
            KeyMomentPublic(question=m.question, answer=m.answer, steps=list(m.steps)) for m in exercise.key_moments
        ],
        quiz=[QuestionPublic(id=q.id, prompt=q.prompt, choices=dict(q.choices)) for q in exercise.quiz],
        snapshot=SnapshotPublic(title=exercise.snapshot.title, points=list(exercise.snapshot.points)),
        transcript=exercise.transcript,
        starter=exercise.starter,
    )


class Catalog:
    """The exercises the platform serves, in curriculum order."""

    def __init__(self, exercises: list[Exercise], problems: list[ExerciseError] | None = None) -> None:
        self.exercises = sorted(exercises, key=lambda e: (e.order, e.slug))
        self.problems = problems or []
        self._by_slug = {e.slug: e for e in exercises}
        self._stamps = {e.slug: _stamp(e) for e in exercises}

    @classmethod
    def load(cls, root: Path) -> Catalog:
        """Every exercise under ``root``; a broken one is left out (and reported), not fatal."""
        exercises, problems = [], []
        folders = sorted(p for p in root.iterdir() if (p / DATA_FILE).is_file()) if root.is_dir() else []
        for folder in folders:
            try:
                exercises.append(load_exercise(folder))
            except ExerciseError as exc:
                log.error("exercise left out: %s", exc)
                problems.append(exc)
        return cls(exercises, problems)

    def get(self, slug: str) -> Exercise | None:
        return self._by_slug.get(slug)

    def reload(self, slug: str) -> Exercise:
        """Read one exercise's file again (it may have changed); ExerciseError if it is broken now."""
        current = self._by_slug[slug]
        fresh = load_exercise(current.folder)
        if fresh.slug != slug:
            raise ExerciseError(current.folder / DATA_FILE, [f"slug: changed from {slug!r} to {fresh.slug!r}"])
        self._by_slug[slug] = fresh
        self._stamps[slug] = _stamp(fresh)
        self.exercises = sorted(
            (fresh if e.slug == slug else e for e in self.exercises), key=lambda e: (e.order, e.slug)
        )
        return fresh

    def current(self, slug: str) -> Exercise | None:
        """The exercise as its file is now: graders in any process pick up an edited exercise (a regrade
        after a fix) without a restart. A file that is broken now keeps the last good version."""
        exercise = self._by_slug.get(slug)
        if exercise is None or _stamp(exercise) == self._stamps.get(slug):
            return exercise
        try:
            return self.reload(slug)
        except (ExerciseError, OSError) as exc:
            log.error("exercise %s changed but cannot be loaded; grading the last good version: %s", slug, exc)
            self._stamps[slug] = _stamp(exercise)
            return exercise

    def after(self, slug: str) -> Exercise | None:
        """The next exercise in curriculum order."""
        slugs = [e.slug for e in self.exercises]
        index = slugs.index(slug) + 1 if slug in slugs else len(slugs)
        return self.exercises[index] if index < len(slugs) else None

    def __iter__(self) -> Iterator[Exercise]:
        return iter(self.exercises)

    def __len__(self) -> int:
        return len(self.exercises)


def _stamp(exercise: Exercise) -> tuple[int, int] | None:
    try:
        stat = (exercise.folder / DATA_FILE).stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size
