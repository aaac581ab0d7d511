"""The course services: enrolment, the grade policy with late credit and extensions, date edits."""

from __future__ import annotations

from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest
from course_factories import DUE, create_course_with_staff, create_echo_assignment, enrol, graded_submission
from factories import create_learner
from sqlmodel import Session

from tracedojo.assignments import (
    GradeState,
    assignments_for_submission,
    grant_extension,
    learner_grade,
    update_dates,
)
from tracedojo.course_models import CourseRole
from tracedojo.courses import CourseError, courses_of, join_with_code, role_in


def test_join_code_enrols_a_learner_once_whatever_its_case_or_spacing(session: Session) -> None:
    course, _ = create_course_with_staff(session)
    learner = create_learner(session)
    typed = course.join_code[:4].lower() + " - " + course.join_code[4:]
    joined, member = join_with_code(session, user=learner, code=typed)
    assert joined.id == course.id and member.role == CourseRole.LEARNER
    join_with_code(session, user=learner, code=course.join_code)
    assert [(c.id, r) for c, r in courses_of(session, user_id=learner.id or 0)] == [(course.id, CourseRole.LEARNER)]


def test_an_unknown_join_code_is_refused_by_name(session: Session) -> None:
    with pytest.raises(CourseError, match="no course has the join code 'NOPE'"):
        join_with_code(session, user=create_learner(session), code="NOPE")


def test_the_creator_teaches_the_course(session: Session) -> None:
    course, instructor = create_course_with_staff(session)
    assert role_in(session, course_id=course.id or 0, user_id=instructor.id or 0) == CourseRole.INSTRUCTOR


def test_on_time_late_and_after_the_last_date(session: Session) -> None:
    course, _ = create_course_with_staff(session)
    assignment = create_echo_assignment(session, course)
    learner = enrol(session, course)
    # Full marks a day late earn half; a partial score on time is worth more; work after the last date is practice.
    graded_submission(session, learner, at=DUE + timedelta(days=1), score=7)
    graded_submission(session, learner, at=DUE - timedelta(hours=1), score=4.2)
    graded_submission(session, learner, at=DUE + timedelta(days=3), score=7)
    grade = learner_grade(session, assignment=assignment, user_id=learner.id or 0)
    assert grade.score == pytest.approx(6.0)
    assert grade.state == GradeState.ON_TIME
    assert grade.practice_after_deadline == 1


def test_the_due_date_is_a_moment_whatever_the_zone_it_was_written_in(session: Session) -> None:
    course, _ = create_course_with_staff(session)
    # 18:59 in New York in March 2025 (EDT, UTC-4) is 22:59 UTC: an hour before DUE.
    due = DUE.astimezone(ZoneInfo("America/New_York")) - timedelta(hours=1)
    assignment = create_echo_assignment(session, course, due=due, late_days=None)
    assert assignment.due_at == DUE - timedelta(hours=1)
    assert assignment.due_at.tzinfo is not None and assignment.due_at.utcoffset() == timedelta(0)
    learner = enrol(session, course)
    graded_submission(session, learner, at=(DUE - timedelta(minutes=30)).astimezone(UTC), score=7)
    grade = learner_grade(session, assignment=assignment, user_id=learner.id or 0, now=DUE + timedelta(days=1))
    assert (grade.score, grade.state) == (0.0, GradeState.MISSING)


def test_an_extension_moves_one_learners_due_date_and_the_change_is_listed(session: Session) -> None:
    course, instructor = create_course_with_staff(session)
    assignment = create_echo_assignment(session, course, late_days=None)
    late, other = enrol(session, course), enrol(session, course)
    graded_submission(session, late, at=DUE + timedelta(hours=5), score=7)
    graded_submission(session, other, at=DUE + timedelta(hours=5), score=7)
    change = grant_extension(
        session,
        assignment=assignment,
        user_id=late.id or 0,
        due_at=DUE + timedelta(days=1),
        late_until=None,
        granted_by=instructor.id,
    )
    assert [(c["username"], c["before"], c["after"]) for c in change.changes] == [(late.username, 0.0, 10.0)]
    assert learner_grade(session, assignment=assignment, user_id=other.id or 0).score == 0.0


def test_moving_the_due_date_recomputes_and_lists_the_grades_it_changed(session: Session) -> None:
    course, instructor = create_course_with_staff(session)
    assignment = create_echo_assignment(session, course)
    learner, unchanged = enrol(session, course), enrol(session, course)
    graded_submission(session, learner, at=DUE + timedelta(hours=1), score=7)
    graded_submission(session, unchanged, at=DUE - timedelta(days=1), score=7)
    change = update_dates(session, assignment=assignment, requested_by=instructor.id, due_at=DUE + timedelta(hours=2))
    assert change.what.startswith("due 2025-03-14 23:59 UTC → 2025-03-15 01:59 UTC")
    assert [(c["user_id"], c["before"], c["after"], c["after_state"]) for c in change.changes] == [
        (learner.id, 5.0, 10.0, "on_time")
    ]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"due_at": DUE - timedelta(days=30)}, "due_at: is before release_at"),
        ({"late_until": DUE - timedelta(days=1)}, "late_until: is before due_at"),
        ({"late_credit": 1.5}, "late_credit: must be a fraction from 0 to 1"),
        ({"points": 0}, "points: must be more than 0"),
    ],
)
def test_impossible_dates_are_refused_by_name(session: Session, edit: dict, message: str) -> None:  # type: ignore[type-arg]
    course, instructor = create_course_with_staff(session)
    assignment = create_echo_assignment(session, course)
    with pytest.raises(CourseError, match=message):
        update_dates(session, assignment=assignment, requested_by=instructor.id, **edit)


def test_a_submission_counts_for_its_lesson_in_the_authors_courses_only(session: Session) -> None:
    mine, _ = create_course_with_staff(session)
    theirs, _ = create_course_with_staff(session)
    assignment = create_echo_assignment(session, mine)
    create_echo_assignment(session, theirs)
    learner = enrol(session, mine)
    row = graded_submission(session, learner, at=DUE, score=7)
    assert [a.id for a in assignments_for_submission(session, submission=row)] == [assignment.id]
