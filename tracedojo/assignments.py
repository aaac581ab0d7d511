"""Assignments: a lesson (in one of its modes) set in a course with points and dates, per-learner
extensions, and the grade policy.

The policy: a learner's grade on an assignment is their best work in its mode made between its
release and their last date, each scored ``points * fraction`` (a submission's ``score / max_score``,
see ``assignment_work`` for each mode), times the late credit when made after their due date. A quiz's
first answers add up instead of competing. Work after the last date is practice: it is kept but
changes no grade. Submission times are when the learner submitted, not when the queue got to grading it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel
from sqlmodel import Session, col, select

from tracedojo.assignment_work import WRITE, Lessons, UnknownMode, Work, adds_up, checked_mode, work_by_user
from tracedojo.course_models import Assignment, CourseMember, CourseRole, DeadlineChange, Extension, as_utc
from tracedojo.courses import CourseError
from tracedojo.lti.due import mark_assignment_grades_due, unlink_assignment
from tracedojo.models import Submission, User, utcnow


@dataclass(frozen=True)
class Dates:
    release_at: datetime
    due_at: datetime
    late_until: datetime | None
    late_credit: float

    def check(self) -> None:
        if self.due_at < self.release_at:
            raise CourseError("due_at: is before release_at; the due date comes after the release")
        if self.late_until is not None and self.late_until < self.due_at:
            raise CourseError("late_until: is before due_at; late work is accepted after the due date, until then")
        if not 0.0 <= self.late_credit <= 1.0:
            raise CourseError("late_credit: must be a fraction from 0 to 1 (0.5 gives late work half its score)")

    @property
    def last(self) -> datetime:
        return self.late_until if self.late_until is not None and self.late_credit > 0 else self.due_at


def dates_of(assignment: Assignment, extension: Extension | None = None) -> Dates:
    """The dates that apply to one learner: the assignment's, moved by their extension if they have one."""
    release = as_utc(assignment.release_at)
    due = as_utc(assignment.due_at)
    late = as_utc(assignment.late_until) if assignment.late_until is not None else None
    if extension is not None:
        due = max(due, as_utc(extension.due_at))
        own_late = as_utc(extension.late_until) if extension.late_until is not None else None
        # An extension never shortens the late period everyone else has.
        candidates = [d for d in (late, own_late) if d is not None and d >= due]
        late = max(candidates) if candidates else None
    return Dates(release_at=release, due_at=due, late_until=late, late_credit=assignment.late_credit)


def create_assignment(
    session: Session,
    *,
    course_id: int,
    exercise_slug: str,
    points: float,
    release_at: datetime,
    due_at: datetime,
    late_until: datetime | None = None,
    late_credit: float = 0.0,
    mode: str = WRITE,
) -> Assignment:
    try:
        checked_mode(mode)
    except UnknownMode as exc:
        raise CourseError(str(exc)) from None
    dates = Dates(as_utc(release_at), as_utc(due_at), as_utc(late_until) if late_until else None, late_credit)
    dates.check()
    if points <= 0:
        raise CourseError("points: must be more than 0")
    existing = find_assignment(session, course_id=course_id, exercise_slug=exercise_slug, mode=mode)
    if existing is not None:
        raise CourseError(
            f"exercise: {exercise_slug!r} in mode {mode!r} is already assignment {existing.id} of this course"
        )
    assignment = Assignment(
        course_id=course_id,
        exercise_slug=exercise_slug,
        mode=mode,
        points=points,
        release_at=dates.release_at,
        due_at=dates.due_at,
        late_until=dates.late_until,
        late_credit=late_credit,
    )
    session.add(assignment)
    session.commit()
    session.refresh(assignment)
    return assignment


def get_assignment(session: Session, *, assignment_id: int) -> Assignment | None:
    return session.get(Assignment, assignment_id)


def find_assignment(session: Session, *, course_id: int, exercise_slug: str, mode: str) -> Assignment | None:
    return session.exec(
        select(Assignment).where(
            Assignment.course_id == course_id, Assignment.exercise_slug == exercise_slug, Assignment.mode == mode
        )
    ).first()


def assignments_of(session: Session, *, course_id: int) -> list[Assignment]:
    return list(
        session.exec(
            select(Assignment)
            .where(Assignment.course_id == course_id)
            .order_by(col(Assignment.due_at), col(Assignment.id))
        ).all()
    )


def extension_of(session: Session, *, assignment_id: int, user_id: int) -> Extension | None:
    return session.exec(
        select(Extension).where(Extension.assignment_id == assignment_id, Extension.user_id == user_id)
    ).first()


def extensions_of(session: Session, *, assignment_id: int) -> dict[int, Extension]:
    rows = session.exec(select(Extension).where(Extension.assignment_id == assignment_id)).all()
    return {row.user_id: row for row in rows}


class GradeState(StrEnum):
    NOT_RELEASED = "not_released"
    OPEN = "open"  # before the due date, nothing graded yet
    ON_TIME = "on_time"
    LATE = "late"
    MISSING = "missing"  # past the last date with nothing that counts


class LearnerGrade(BaseModel):
    assignment_id: int
    user_id: int
    mode: str = WRITE  # the assignment's mode: where the work comes from
    points: float
    score: float  # 0 .. points
    state: GradeState
    submission_id: int | None  # the submission the score comes from (None in predict and quiz)
    due_at: datetime  # this learner's due date (their extension's, if any)
    late_until: datetime | None
    extended: bool
    practice_after_deadline: int  # pieces of work made after the last date, which count for nothing


def _credit(dates: Dates, submitted: datetime) -> float | None:
    """The fraction of a submission's score that counts, or None when it is outside the window."""
    if submitted < dates.release_at:
        return None
    if submitted <= dates.due_at:
        return 1.0
    if dates.late_until is not None and submitted <= dates.late_until and dates.late_credit > 0:
        return dates.late_credit
    return None


def grade_of(
    assignment: Assignment,
    *,
    user_id: int,
    work: list[Work],
    extension: Extension | None = None,
    now: datetime | None = None,
) -> LearnerGrade:
    """The grade under the policy, from the learner's work in the assignment's lesson and mode."""
    assert assignment.id is not None
    dates = dates_of(assignment, extension)
    now = as_utc(now or utcnow())
    total = adds_up(assignment.mode)
    best, counted, best_id, best_late, practice = 0.0, False, None, False, 0
    for item in work:
        credit = _credit(dates, item.at)
        if credit is None:
            practice += item.at > dates.last
            continue
        earned = assignment.points * credit * item.fraction
        if total:
            best += earned
            best_late = best_late or (credit < 1.0 and item.fraction > 0)
        elif not counted or earned > best:
            best, best_id, best_late = earned, item.submission_id, credit < 1.0
        counted = True
    best = round(best, 4)
    if counted:
        state = GradeState.LATE if best_late else GradeState.ON_TIME
    elif now < dates.release_at:
        state = GradeState.NOT_RELEASED
    elif now <= dates.last:
        state = GradeState.OPEN
    else:
        state = GradeState.MISSING
    return LearnerGrade(
        assignment_id=assignment.id,
        user_id=user_id,
        mode=assignment.mode,
        points=assignment.points,
        score=best,
        state=state,
        submission_id=best_id,
        due_at=dates.due_at,
        late_until=dates.late_until,
        extended=extension is not None,
        practice_after_deadline=practice,
    )


def learner_grade(
    session: Session,
    *,
    assignment: Assignment,
    user_id: int,
    now: datetime | None = None,
    lessons: Lessons | None = None,
) -> LearnerGrade:
    """One learner's grade on one assignment (what the LMS is sent after each graded submission).
    ``lessons`` (the catalog) is needed by quiz assignments, to count the quiz's questions."""
    assert assignment.id is not None
    work = work_by_user(session, assignment=assignment, user_ids=[user_id], lessons=lessons)[user_id]
    extension = extension_of(session, assignment_id=assignment.id, user_id=user_id)
    return grade_of(assignment, user_id=user_id, work=work, extension=extension, now=now)


def learner_ids(session: Session, *, course_id: int) -> list[int]:
    return list(
        session.exec(
            select(CourseMember.user_id)
            .where(CourseMember.course_id == course_id, CourseMember.role == CourseRole.LEARNER)
            .order_by(col(CourseMember.user_id))
        ).all()
    )


def assignment_grades(
    session: Session, *, assignment: Assignment, now: datetime | None = None, lessons: Lessons | None = None
) -> list[LearnerGrade]:
    """Every learner of the course's grade on one assignment, by user id."""
    assert assignment.id is not None
    ids = learner_ids(session, course_id=assignment.course_id)
    by_user = work_by_user(session, assignment=assignment, user_ids=ids, lessons=lessons)
    extensions = extensions_of(session, assignment_id=assignment.id)
    return [grade_of(assignment, user_id=uid, work=by_user[uid], extension=extensions.get(uid), now=now) for uid in ids]


def assignments_for_submission(session: Session, *, submission: Submission) -> list[Assignment]:
    """Assignments a graded submission may count for: its lesson, in every course where its author learns."""
    courses = select(CourseMember.course_id).where(
        CourseMember.user_id == submission.user_id, CourseMember.role == CourseRole.LEARNER
    )
    return list(
        session.exec(
            select(Assignment)
            .where(Assignment.exercise_slug == submission.exercise_slug, col(Assignment.course_id).in_(courses))
            .order_by(col(Assignment.id))
        ).all()
    )


# Editing dates: recompute every grade and keep what changed, as a regrade does.


class GradeChange(BaseModel):
    user_id: int
    username: str
    before: float
    after: float
    before_state: GradeState
    after_state: GradeState


class DeadlineReport(BaseModel):
    id: int
    assignment_id: int
    what: str
    requested_by: str | None
    created_at: datetime
    changed: int
    changes: list[GradeChange]


def _usernames(session: Session, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {u.id: u.username for u in session.exec(select(User).where(col(User.id).in_(ids))).all() if u.id}


def _record_changes(
    session: Session,
    *,
    assignment: Assignment,
    before: list[LearnerGrade],
    what: str,
    requested_by: int | None,
    lessons: Lessons | None,
) -> DeadlineChange:
    after = {g.user_id: g for g in assignment_grades(session, assignment=assignment, lessons=lessons)}
    names = _usernames(session, [g.user_id for g in before])
    changes = [
        GradeChange(
            user_id=old.user_id,
            username=names.get(old.user_id, "?"),
            before=old.score,
            after=after[old.user_id].score,
            before_state=old.state,
            after_state=after[old.user_id].state,
        ).model_dump(mode="json")
        for old in before
        if old.user_id in after and (old.score != after[old.user_id].score or old.state != after[old.user_id].state)
    ]
    assert assignment.id is not None
    change = DeadlineChange(assignment_id=assignment.id, requested_by=requested_by, what=what, changes=changes)
    session.add(change)
    # Grades that moved go to the LMS again, for assignments linked to one (LTI).
    mark_assignment_grades_due(session, assignment_id=assignment.id, user_ids=[c["user_id"] for c in changes])
    session.commit()
    session.refresh(change)
    return change


def update_dates(
    session: Session,
    *,
    assignment: Assignment,
    requested_by: int | None,
    points: float | None = None,
    release_at: datetime | None = None,
    due_at: datetime | None = None,
    late_until: datetime | None = None,
    clear_late_until: bool = False,
    late_credit: float | None = None,
    mode: str | None = None,
    lessons: Lessons | None = None,
) -> DeadlineChange:
    """Change an assignment's points, dates or mode; every learner's grade is recomputed and the changes kept."""
    new = Dates(
        release_at=as_utc(release_at) if release_at else as_utc(assignment.release_at),
        due_at=as_utc(due_at) if due_at else as_utc(assignment.due_at),
        late_until=None
        if clear_late_until
        else as_utc(late_until)
        if late_until
        else (as_utc(assignment.late_until) if assignment.late_until else None),
        late_credit=assignment.late_credit if late_credit is None else late_credit,
    )
    new.check()
    if points is not None and points <= 0:
        raise CourseError("points: must be more than 0")
    if mode is not None and mode != assignment.mode:
        try:
            checked_mode(mode)
        except UnknownMode as exc:
            raise CourseError(str(exc)) from None
        taken = find_assignment(
            session, course_id=assignment.course_id, exercise_slug=assignment.exercise_slug, mode=mode
        )
        if taken is not None:
            raise CourseError(f"mode: this lesson in mode {mode!r} is already assignment {taken.id} of this course")
    before = assignment_grades(session, assignment=assignment, lessons=lessons)
    what = _describe_edit(assignment, new, points, mode)
    if mode is not None:
        assignment.mode = mode
    assignment.release_at, assignment.due_at, assignment.late_until = new.release_at, new.due_at, new.late_until
    assignment.late_credit = new.late_credit
    if points is not None:
        assignment.points = points
    session.add(assignment)
    session.flush()
    return _record_changes(
        session, assignment=assignment, before=before, what=what, requested_by=requested_by, lessons=lessons
    )


def _describe_edit(assignment: Assignment, new: Dates, points: float | None, mode: str | None = None) -> str:
    old = dates_of(assignment)
    parts = []
    for name, was, now in (
        ("release", old.release_at, new.release_at),
        ("due", old.due_at, new.due_at),
        ("late until", old.late_until, new.late_until),
    ):
        if was != now:
            parts.append(f"{name} {_utc_text(was)} → {_utc_text(now)}")
    if old.late_credit != new.late_credit:
        parts.append(f"late credit {old.late_credit:g} → {new.late_credit:g}")
    if points is not None and points != assignment.points:
        parts.append(f"points {assignment.points:g} → {points:g}")
    if mode is not None and mode != assignment.mode:
        parts.append(f"mode {assignment.mode} → {mode}")
    return ("; ".join(parts) or "no change")[:200]


def _utc_text(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "none"


def grant_extension(
    session: Session,
    *,
    assignment: Assignment,
    user_id: int,
    due_at: datetime,
    late_until: datetime | None,
    granted_by: int | None,
    lessons: Lessons | None = None,
) -> DeadlineChange:
    """Give one learner their own due date (replacing an earlier extension); their grade is recomputed."""
    assert assignment.id is not None
    due = as_utc(due_at)
    late = as_utc(late_until) if late_until else None
    if due < as_utc(assignment.release_at):
        raise CourseError("due_at: is before the assignment's release")
    if late is not None and late < due:
        raise CourseError("late_until: is before due_at")
    before = [g for g in assignment_grades(session, assignment=assignment, lessons=lessons) if g.user_id == user_id]
    row = extension_of(session, assignment_id=assignment.id, user_id=user_id)
    if row is None:
        row = Extension(assignment_id=assignment.id, user_id=user_id, due_at=due)
    row.due_at, row.late_until, row.granted_by = due, late, granted_by
    session.add(row)
    session.flush()
    name = _usernames(session, [user_id]).get(user_id, str(user_id))
    what = f"extension for {name}: due {_utc_text(due)}" + (f", late until {_utc_text(late)}" if late else "")
    return _record_changes(
        session, assignment=assignment, before=before, what=what, requested_by=granted_by, lessons=lessons
    )


def revoke_extension(
    session: Session, *, assignment: Assignment, user_id: int, by: int | None, lessons: Lessons | None = None
) -> DeadlineChange:
    assert assignment.id is not None
    row = extension_of(session, assignment_id=assignment.id, user_id=user_id)
    if row is None:
        raise CourseError("this learner has no extension on this assignment")
    before = [g for g in assignment_grades(session, assignment=assignment, lessons=lessons) if g.user_id == user_id]
    session.delete(row)
    session.flush()
    name = _usernames(session, [user_id]).get(user_id, str(user_id))
    return _record_changes(
        session,
        assignment=assignment,
        before=before,
        what=f"extension for {name} removed",
        requested_by=by,
        lessons=lessons,
    )


def delete_assignment(session: Session, *, assignment: Assignment) -> None:
    """Delete an assignment with its extensions and date changes. The learners' work stays, as practice;
    the LMS links that opened it are kept but unlinked, so a launch says it was deleted (404)."""
    assert assignment.id is not None
    for extension in extensions_of(session, assignment_id=assignment.id).values():
        session.delete(extension)
    for change in session.exec(select(DeadlineChange).where(DeadlineChange.assignment_id == assignment.id)).all():
        session.delete(change)
    unlink_assignment(session, assignment_id=assignment.id)
    session.delete(assignment)
    session.commit()


def deadline_reports(session: Session, *, assignment_id: int, limit: int = 10) -> list[DeadlineReport]:
    rows = session.exec(
        select(DeadlineChange)
        .where(DeadlineChange.assignment_id == assignment_id)
        .order_by(col(DeadlineChange.id).desc())
        .limit(limit)
    ).all()
    return [deadline_report(session, change=row) for row in rows]


def deadline_report(session: Session, *, change: DeadlineChange) -> DeadlineReport:
    assert change.id is not None
    requester = session.get(User, change.requested_by) if change.requested_by is not None else None
    changes = [GradeChange.model_validate(c) for c in change.changes]
    return DeadlineReport(
        id=change.id,
        assignment_id=change.assignment_id,
        what=change.what,
        requested_by=requester.username if requester else None,
        created_at=as_utc(change.created_at),
        changed=len(changes),
        changes=changes,
    )
