"""Assignments of a lesson's modes: each mode's work feeds the grade under the one policy (release, due
date, late credit, extensions, practice after the last date); deleting an assignment keeps the work."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from course_factories import DUE, create_course_with_staff, enrol, graded_submission
from sqlmodel import Session, select

from grader import Exercise
from tracedojo.assignments import (
    GradeState,
    assignment_grades,
    create_assignment,
    delete_assignment,
    get_assignment,
    grant_extension,
    learner_grade,
    update_dates,
)
from tracedojo.course_models import Assignment, Course, DeadlineChange, Extension
from tracedojo.courses import CourseError
from tracedojo.mode_attempts import ModeAttempt
from tracedojo.models import QuizAnswer, Submission, User
from tracedojo.platform_state import Platform
from tracedojo.predict_mode import PredictRun

LATE_UNTIL = DUE + timedelta(days=2)


def _assign(session: Session, course: Course, mode: str, *, points: float = 10) -> Assignment:
    assert course.id is not None
    return create_assignment(
        session,
        course_id=course.id,
        exercise_slug="echo-once",
        points=points,
        release_at=DUE - timedelta(days=7),
        due_at=DUE,
        late_until=LATE_UNTIL,
        late_credit=0.5,
        mode=mode,
    )


def _attempt(session: Session, user: User, mode: str, *, at: datetime, score: float) -> Submission:
    """A graded attempt in a mode: its submission (graded at ``at``) linked to the mode's attempt row."""
    row = graded_submission(session, user, at=at, score=score)
    assert user.id is not None
    session.add(
        ModeAttempt(
            user_id=user.id,
            exercise_slug="echo-once",
            exercise_version="test",
            mode=mode,
            submission_id=row.id,
            max_score=row.max_score,
            created_at=at,
        )
    )
    session.commit()
    return row


def _run(session: Session, user: User, *, at: datetime | None, right: int, predictable: int = 4) -> None:
    assert user.id is not None
    started = (at or DUE) - timedelta(minutes=5)
    session.add(
        PredictRun(
            user_id=user.id,
            exercise_slug="echo-once",
            exercise_version="test",
            predictable=predictable,
            right=right,
            answered=predictable if at else 1,
            started_at=started,
            finished_at=at,
        )
    )
    session.commit()


def _answer(session: Session, user: User, question: str, *, correct: bool, at: datetime) -> None:
    assert user.id is not None
    session.add(
        QuizAnswer(
            user_id=user.id,
            exercise_slug="echo-once",
            exercise_version="test",
            question_id=question,
            choice="A",
            correct=correct,
            created_at=at,
        )
    )
    session.commit()


@pytest.mark.parametrize("mode", ["parsons", "blanks", "fix"])
def test_a_graded_modes_attempts_make_its_grade_on_time_late_and_after_the_last_date(
    session: Session, mode: str
) -> None:
    course, _ = create_course_with_staff(session)
    assignment = _assign(session, course, mode)
    learner = enrol(session, course)
    _attempt(session, learner, mode, at=DUE - timedelta(hours=2), score=3.5)  # on time: 5 of 10
    _attempt(session, learner, mode, at=DUE + timedelta(days=1), score=7)  # late, half credit: 5 of 10
    _attempt(session, learner, mode, at=LATE_UNTIL + timedelta(hours=1), score=7)  # practice
    graded_submission(session, learner, at=DUE - timedelta(hours=1), score=7)  # written code: not this mode
    other = "fix" if mode != "fix" else "parsons"
    _attempt(session, learner, other, at=DUE - timedelta(hours=1), score=7)  # another mode: not this one
    grade = learner_grade(session, assignment=assignment, user_id=learner.id or 0)
    assert (grade.mode, grade.score, grade.state) == (mode, 5.0, GradeState.ON_TIME)
    assert grade.practice_after_deadline == 1

    _attempt(session, learner, mode, at=DUE + timedelta(hours=3), score=6.3)  # late: 4.5 of 10, less than 5
    _attempt(session, learner, mode, at=DUE + timedelta(hours=4), score=7)  # late full marks: 5 of 10, a tie
    assert learner_grade(session, assignment=assignment, user_id=learner.id or 0).state == GradeState.ON_TIME
    best = _attempt(session, learner, mode, at=DUE - timedelta(minutes=1), score=6.3)
    grade = learner_grade(session, assignment=assignment, user_id=learner.id or 0)
    assert (grade.score, grade.submission_id) == (9.0, best.id)


def test_a_write_assignment_counts_written_code_and_not_a_modes_attempts(session: Session) -> None:
    course, _ = create_course_with_staff(session)
    assignment = _assign(session, course, "write")
    learner = enrol(session, course)
    _attempt(session, learner, "parsons", at=DUE - timedelta(hours=2), score=7)
    assert learner_grade(session, assignment=assignment, user_id=learner.id or 0).score == 0.0
    written = graded_submission(session, learner, at=DUE + timedelta(hours=2), score=7)
    grade = learner_grade(session, assignment=assignment, user_id=learner.id or 0)
    assert (grade.score, grade.state, grade.submission_id) == (5.0, GradeState.LATE, written.id)


def test_predict_takes_the_best_finished_run_inside_the_dates(session: Session) -> None:
    course, _ = create_course_with_staff(session)
    assignment = _assign(session, course, "predict", points=8)
    learner = enrol(session, course)
    _run(session, learner, at=DUE - timedelta(days=8), right=4)  # before the release: counts for nothing
    _run(session, learner, at=None, right=4)  # not finished: no score yet
    _run(session, learner, at=DUE - timedelta(hours=1), right=2)  # on time: 2/4 of 8 = 4
    _run(session, learner, at=DUE + timedelta(days=1), right=4)  # late, half credit: 4
    _run(session, learner, at=LATE_UNTIL + timedelta(days=1), right=4)  # practice
    grade = learner_grade(session, assignment=assignment, user_id=learner.id or 0)
    assert (grade.mode, grade.score, grade.state, grade.submission_id) == ("predict", 4.0, GradeState.ON_TIME, None)
    assert grade.practice_after_deadline == 1
    _run(session, learner, at=DUE + timedelta(hours=5), right=3)  # late: 3/4 of 8, halved = 3
    _run(session, learner, at=DUE + timedelta(hours=6), right=4)  # late: 4 again
    assert learner_grade(session, assignment=assignment, user_id=learner.id or 0).score == 4.0


def test_an_extension_moves_a_predict_run_back_inside_the_due_date(session: Session) -> None:
    course, instructor = create_course_with_staff(session)
    assignment = _assign(session, course, "predict")
    learner = enrol(session, course)
    _run(session, learner, at=DUE + timedelta(days=1), right=4)
    assert learner_grade(session, assignment=assignment, user_id=learner.id or 0).score == 5.0
    change = grant_extension(
        session,
        assignment=assignment,
        user_id=learner.id or 0,
        due_at=DUE + timedelta(days=3),
        late_until=None,
        granted_by=instructor.id,
    )
    assert [(c["before"], c["after"]) for c in change.changes] == [(5.0, 10.0)]


def test_quiz_first_answers_add_up_with_late_credit_and_practice(
    session: Session, platform: Platform, echo_once: Exercise
) -> None:
    questions = [q.id for q in echo_once.quiz]
    assert len(questions) >= 3
    course, _ = create_course_with_staff(session)
    assignment = _assign(session, course, "quiz", points=len(questions) * 2)
    learner = enrol(session, course)
    first, second, third = questions[:3]
    _answer(session, learner, first, correct=True, at=DUE - timedelta(hours=1))  # 2 points
    _answer(session, learner, second, correct=False, at=DUE - timedelta(hours=1))  # first try wrong: 0
    _answer(session, learner, second, correct=True, at=DUE - timedelta(minutes=30))  # a second try: 0
    _answer(session, learner, third, correct=True, at=DUE + timedelta(hours=1))  # late, half: 1 point
    _answer(session, learner, first, correct=True, at=LATE_UNTIL + timedelta(hours=1))  # not a first answer
    grade = learner_grade(session, assignment=assignment, user_id=learner.id or 0, lessons=platform.catalog)
    assert (grade.mode, grade.score, grade.state) == ("quiz", 3.0, GradeState.LATE)
    if len(questions) > 3:
        _answer(session, learner, questions[3], correct=True, at=LATE_UNTIL + timedelta(hours=2))
        later = learner_grade(session, assignment=assignment, user_id=learner.id or 0, lessons=platform.catalog)
        assert (later.score, later.practice_after_deadline) == (3.0, 1)
    with pytest.raises(LookupError, match="count the quiz's questions"):
        learner_grade(session, assignment=assignment, user_id=learner.id or 0)


def test_a_learner_with_no_work_in_the_mode_is_missing_after_the_last_date(session: Session) -> None:
    course, _ = create_course_with_staff(session)
    assignment = _assign(session, course, "blanks")
    learner = enrol(session, course)
    graded_submission(session, learner, at=DUE - timedelta(hours=1), score=7)  # written code, not blanks
    (grade,) = assignment_grades(session, assignment=assignment)
    assert (grade.user_id, grade.score, grade.state) == (learner.id, 0.0, GradeState.MISSING)


def test_one_lesson_can_be_set_once_per_mode_and_only_in_a_graded_mode(session: Session) -> None:
    course, _ = create_course_with_staff(session)
    write = _assign(session, course, "write")
    parsons = _assign(session, course, "parsons")
    assert (write.mode, parsons.mode) == ("write", "parsons") and write.id != parsons.id
    with pytest.raises(CourseError, match=r"'echo-once' in mode 'parsons' is already assignment"):
        _assign(session, course, "parsons")
    with pytest.raises(CourseError, match=r"mode: 'review' is not a graded mode; choose one of predict, quiz"):
        _assign(session, course, "review")


def test_changing_the_mode_recomputes_the_grades_and_lists_what_changed(session: Session) -> None:
    course, instructor = create_course_with_staff(session)
    assignment = _assign(session, course, "write")
    taken = _assign(session, course, "fix")
    learner = enrol(session, course)
    _attempt(session, learner, "parsons", at=DUE - timedelta(hours=1), score=7)
    change = update_dates(session, assignment=assignment, requested_by=instructor.id, mode="parsons")
    assert change.what == "mode write → parsons"
    assert [(c["before"], c["after"], c["after_state"]) for c in change.changes] == [(0.0, 10.0, "on_time")]
    with pytest.raises(CourseError, match=f"mode: this lesson in mode 'fix' is already assignment {taken.id}"):
        update_dates(session, assignment=assignment, requested_by=instructor.id, mode="fix")
    with pytest.raises(CourseError, match="'step' is not a graded mode"):
        update_dates(session, assignment=assignment, requested_by=instructor.id, mode="step")
    session.refresh(assignment)
    assert assignment.mode == "parsons"


def test_deleting_an_assignment_keeps_the_work_and_drops_its_extensions(session: Session) -> None:
    course, instructor = create_course_with_staff(session)
    assignment = _assign(session, course, "fix")
    learner = enrol(session, course)
    work = _attempt(session, learner, "fix", at=DUE - timedelta(hours=1), score=7)
    grant_extension(
        session,
        assignment=assignment,
        user_id=learner.id or 0,
        due_at=DUE + timedelta(days=1),
        late_until=None,
        granted_by=instructor.id,
    )
    assignment_id = assignment.id or 0
    delete_assignment(session, assignment=assignment)
    assert get_assignment(session, assignment_id=assignment_id) is None
    assert session.exec(select(Extension).where(Extension.assignment_id == assignment_id)).all() == []
    assert session.exec(select(DeadlineChange).where(DeadlineChange.assignment_id == assignment_id)).all() == []
    assert session.get(Submission, work.id) is not None
    assert session.exec(select(ModeAttempt).where(ModeAttempt.submission_id == work.id)).one().mode == "fix"
    again = _assign(session, course, "fix")  # the lesson can be set again in that mode
    assert learner_grade(session, assignment=again, user_id=learner.id or 0).score == 10.0
