"""The gradebook: per learner and exercise, quiz score, best code score, attempts, last activity; and its CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from grader import Exercise
from tracedojo.mode_attempts import ModeAttempt, mode_submission_ids, settle
from tracedojo.models import QuizAnswer, Role, Submission, SubmissionStatus, User
from tracedojo.modes import GRADED_MODES
from tracedojo.predict_review_stats import predict_review_cells


class ModeCell(BaseModel):
    """A learner's work in one graded mode of one exercise (Parsons, blanks, fix the bug)."""

    attempts: int = 0
    best_score: float | None = None
    passed: bool = False


class GradeCell(BaseModel):
    quiz_score: int  # questions right on the first try
    quiz_size: int
    best_code_score: float | None
    max_score: float
    attempts: int
    passed: bool
    last_activity: datetime | None = None
    modes: dict[str, ModeCell] = {}  # by mode, every graded mode of the lesson
    predict_best: float | None = None  # best Predict run, 0..1
    reviews: int = 0  # Review ratings given


class GradebookRow(BaseModel):
    user_id: int
    username: str
    last_activity: datetime | None
    quiz_score: int
    quiz_size: int
    code_score: float  # the best scores, summed over exercises
    max_score: float
    exercises_passed: int
    exercises: dict[str, GradeCell]


class Progress(StrEnum):
    """Which learners to show, of one exercise (or, with none chosen, of the whole curriculum)."""

    ANY = "any"
    PASSED = "passed"
    NOT_PASSED = "not_passed"  # tried, not passed yet: the ones who may need help
    NOT_STARTED = "not_started"


class GradebookFilter(BaseModel):
    search: str = ""
    exercise: str | None = None
    progress: Progress = Progress.ANY
    sort: str = "username"  # username, last_activity, quiz, code, passed, or an exercise's slug
    descending: bool = False

    QUERY: ClassVar[tuple[str, ...]] = ("search", "exercise", "progress", "sort", "descending")  # as URL parameters


SORT_KEYS = ("username", "last_activity", "quiz", "code", "passed")


def gradebook(session: Session, *, exercises: list[Exercise]) -> list[GradebookRow]:
    """Every learner's row, by username; three queries whatever the class size."""
    learners = session.exec(select(User).where(User.role == Role.LEARNER).order_by(col(User.username))).all()
    cells = {
        learner.id: {
            e.slug: GradeCell(
                quiz_size=len(e.quiz),
                max_score=e.max_score,
                quiz_score=0,
                best_code_score=None,
                attempts=0,
                passed=False,
                modes={mode: ModeCell() for mode in GRADED_MODES},
            )
            for e in exercises
        }
        for learner in learners
    }
    questions = {(e.slug, q.id) for e in exercises for q in e.quiz}
    seen: set[tuple[int, str, str]] = set()
    for answer in session.exec(select(QuizAnswer).order_by(col(QuizAnswer.id))).all():
        cell = cells.get(answer.user_id, {}).get(answer.exercise_slug)
        if cell is None:
            continue
        _touch(cell, answer.created_at)
        key = (answer.user_id, answer.exercise_slug, answer.question_id)
        if key not in seen and (answer.exercise_slug, answer.question_id) in questions:
            seen.add(key)
            cell.quiz_score += answer.correct
    rows = (
        session.connection()
        .execute(
            sa_select(
                col(Submission.user_id),
                col(Submission.exercise_slug),
                col(Submission.status),
                col(Submission.score),
                col(Submission.created_at),
            )
            .where(col(Submission.id).not_in(mode_submission_ids()))
            .order_by(col(Submission.id))
        )
        .all()
    )
    for user_id, slug, status, score, created_at in rows:
        cell = cells.get(user_id, {}).get(slug)
        if cell is None:
            continue
        _touch(cell, created_at)
        cell.attempts += 1
        if score is not None and (cell.best_code_score is None or score > cell.best_code_score):
            cell.best_code_score = score
        cell.passed = cell.passed or status == SubmissionStatus.PASSED
    _add_modes(session, cells)
    for (user_id, slug), modes in predict_review_cells(session).items():
        cell = cells.get(user_id, {}).get(slug)
        if cell is not None:
            cell.predict_best, cell.reviews = modes.predict_best, modes.reviews
    return [_row(learner, cells[learner.id]) for learner in learners if learner.id is not None]


def _add_modes(session: Session, cells: dict[int | None, dict[str, GradeCell]]) -> None:
    rows = list(session.exec(select(ModeAttempt).where(col(ModeAttempt.mode).in_(GRADED_MODES))).all())
    settle(session, rows)
    for row in rows:
        cell = cells.get(row.user_id, {}).get(row.exercise_slug)
        if cell is None:
            continue
        _touch(cell, row.created_at)
        mode = cell.modes.setdefault(row.mode, ModeCell())
        mode.attempts += 1
        if row.score is not None and (mode.best_score is None or row.score > mode.best_score):
            mode.best_score = row.score
        mode.passed = mode.passed or bool(row.passed)


def _touch(cell: GradeCell, when: datetime) -> None:
    if cell.last_activity is None or when > cell.last_activity:
        cell.last_activity = when


def _row(learner: User, cells: dict[str, GradeCell]) -> GradebookRow:
    assert learner.id is not None
    moments = [c.last_activity for c in cells.values() if c.last_activity is not None]
    return GradebookRow(
        user_id=learner.id,
        username=learner.username,
        last_activity=max(moments, default=None),
        quiz_score=sum(c.quiz_score for c in cells.values()),
        quiz_size=sum(c.quiz_size for c in cells.values()),
        code_score=sum(c.best_code_score or 0.0 for c in cells.values()),
        max_score=sum(c.max_score for c in cells.values()),
        exercises_passed=sum(c.passed for c in cells.values()),
        exercises=cells,
    )


def select_rows(rows: list[GradebookRow], wanted: GradebookFilter) -> list[GradebookRow]:
    """The rows ``wanted`` asks for, in its order (ties by username)."""
    search = wanted.search.strip().lower()
    chosen = [row for row in rows if search in row.username.lower() and _matches(row, wanted)]
    chosen.sort(key=lambda row: row.username)
    chosen.sort(key=lambda row: _sort_key(row, wanted.sort), reverse=wanted.descending)
    return chosen


def _matches(row: GradebookRow, wanted: GradebookFilter) -> bool:
    cells = [row.exercises[wanted.exercise]] if wanted.exercise in row.exercises else list(row.exercises.values())
    if wanted.progress == Progress.PASSED:
        return all(c.passed for c in cells)
    if wanted.progress == Progress.NOT_PASSED:
        return any(c.attempts and not c.passed for c in cells)
    if wanted.progress == Progress.NOT_STARTED:
        return all(c.last_activity is None for c in cells)
    return True


def _sort_key(row: GradebookRow, sort: str) -> tuple[float, str]:
    if sort == "last_activity":
        return (row.last_activity.timestamp() if row.last_activity else float("-inf"), "")
    if sort == "quiz":
        return (row.quiz_score, "")
    if sort == "code":
        return (row.code_score, "")
    if sort == "passed":
        return (row.exercises_passed, "")
    cell = row.exercises.get(sort)
    if cell is not None:
        return (cell.best_code_score if cell.best_code_score is not None else -1.0, "")
    return (0.0, row.username)


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def csv_header(exercises: Iterable[Exercise]) -> list[str]:
    header = ["username", "last activity (UTC)", "quiz", "quiz max", "code", "code max", "exercises passed"]
    for exercise in exercises:
        header += [f"{exercise.slug} {part}" for part in ("quiz", "code", "attempts", "passed", "last activity (UTC)")]
    for exercise in exercises:
        for mode in GRADED_MODES:
            header += [f"{exercise.slug} {mode} {part}" for part in ("score", "attempts", "passed")]
    for exercise in exercises:  # the learning modes' columns after the original ones, which keep their places
        header += [f"{exercise.slug} {part}" for part in ("predict best", "reviews")]
    return header


def gradebook_csv(rows: list[GradebookRow], *, exercises: list[Exercise]) -> str:
    """UTF-8 CSV with a header row and CRLF line ends (RFC 4180), safe to open in a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([spreadsheet_safe(name) for name in csv_header(exercises)])
    for row in rows:
        line = [
            spreadsheet_safe(row.username),
            _when(row.last_activity),
            str(row.quiz_score),
            str(row.quiz_size),
            _number(row.code_score),
            _number(row.max_score),
            str(row.exercises_passed),
        ]
        for exercise in exercises:
            cell = row.exercises[exercise.slug]
            line += [
                str(cell.quiz_score),
                _number(cell.best_code_score),
                str(cell.attempts),
                "yes" if cell.passed else "no",
                _when(cell.last_activity),
            ]
        for exercise in exercises:
            for mode in GRADED_MODES:
                work = row.exercises[exercise.slug].modes.get(mode, ModeCell())
                line += [_number(work.best_score), str(work.attempts), "yes" if work.passed else "no"]
        for exercise in exercises:
            cell = row.exercises[exercise.slug]
            line += [_number(cell.predict_best), str(cell.reviews)]
        writer.writerow(line)
    return out.getvalue()
