"""A course's gradebook: each learner's grade on each assignment under its policy, and its CSV."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from pydantic import BaseModel
from sqlmodel import Session

from tracedojo.assignment_work import WRITE, Lessons
from tracedojo.assignments import LearnerGrade, assignment_grades, assignments_of
from tracedojo.course_models import Assignment, CourseRole
from tracedojo.course_times import utc_text
from tracedojo.courses import members
from tracedojo.gradebook import spreadsheet_safe


class AssignmentColumn(BaseModel):
    id: int
    exercise: str
    mode: str
    points: float
    due_at: datetime


class CourseGradebookRow(BaseModel):
    user_id: int
    username: str
    total: float
    grades: dict[int, LearnerGrade]  # by assignment id


class CourseGradebook(BaseModel):
    course_id: int
    assignments: list[AssignmentColumn]
    points: float
    rows: list[CourseGradebookRow]


def course_gradebook(
    session: Session, *, course_id: int, now: datetime | None = None, lessons: Lessons | None = None
) -> CourseGradebook:
    assignments = assignments_of(session, course_id=course_id)
    per_assignment: dict[int, dict[int, LearnerGrade]] = {}
    for assignment in assignments:
        assert assignment.id is not None
        per_assignment[assignment.id] = {
            g.user_id: g for g in assignment_grades(session, assignment=assignment, now=now, lessons=lessons)
        }
    rows = []
    for user, _ in members(session, course_id=course_id, role=CourseRole.LEARNER):
        assert user.id is not None
        grades = {aid: by_user[user.id] for aid, by_user in per_assignment.items() if user.id in by_user}
        rows.append(
            CourseGradebookRow(
                user_id=user.id,
                username=user.username,
                total=round(sum(g.score for g in grades.values()), 4),
                grades=grades,
            )
        )
    return CourseGradebook(
        course_id=course_id,
        assignments=[_column(a) for a in assignments],
        points=sum(a.points for a in assignments),
        rows=rows,
    )


def _column(assignment: Assignment) -> AssignmentColumn:
    assert assignment.id is not None
    return AssignmentColumn(
        id=assignment.id,
        exercise=assignment.exercise_slug,
        mode=assignment.mode,
        points=assignment.points,
        due_at=assignment.due_at,
    )


def course_gradebook_csv(book: CourseGradebook) -> str:
    """One row per learner: total, then per assignment (named by lesson and mode) its score, state and the
    learner's due date (UTC)."""
    out = io.StringIO()
    writer = csv.writer(out)
    header = ["username", "total", "total max"]
    for column in book.assignments:
        # A write column keeps the lesson's bare name, as before modes; any other names its mode too.
        name = column.exercise if column.mode == WRITE else f"{column.exercise} ({column.mode})"
        header += [f"{name} {part}" for part in ("score", "max", "state", "due (UTC)")]
    writer.writerow([spreadsheet_safe(name) for name in header])
    for row in book.rows:
        line = [spreadsheet_safe(row.username), f"{row.total:g}", f"{book.points:g}"]
        for column in book.assignments:
            grade = row.grades.get(column.id)
            if grade is None:
                line += ["", f"{column.points:g}", "", ""]
            else:
                line += [f"{grade.score:g}", f"{grade.points:g}", grade.state.value, utc_text(grade.due_at)]
        writer.writerow(line)
    return out.getvalue()
