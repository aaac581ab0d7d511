"""``tracedojo courses ...``: courses, enrolment and assignments from the command line."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from sqlmodel import Session, select

from tracedojo import assignments as assignment_service
from tracedojo import courses as course_service
from tracedojo.assignment_work import ASSIGNABLE_MODES, WRITE
from tracedojo.cli_support import checked_settings, database_session, fail, out
from tracedojo.course_gradebook import course_gradebook, course_gradebook_csv
from tracedojo.course_models import Assignment, Course, CourseRole, Enrolment
from tracedojo.course_times import TimeInputError, parse_local, utc_text
from tracedojo.courses import CourseError
from tracedojo.lessons import Catalog
from tracedojo.models import Role, User, utcnow

courses = typer.Typer(
    help="Courses: create, enrol, assign lessons, gradebook.", no_args_is_help=True, rich_markup_mode=None
)


def _user(session: Session, username: str) -> User:
    user = session.exec(select(User).where(User.username == username.lower())).first()
    if user is None:
        fail(f"no user {username!r}; create it with `tracedojo users create`")
    return user


def _course(session: Session, course_id: int) -> Course:
    course = session.get(Course, course_id)
    if course is None:
        fail(f"no course {course_id}; `tracedojo courses list` shows them")
    return course


@courses.command("create")
def create(
    title: Annotated[str, typer.Argument(help="The course's title.")],
    instructor: Annotated[str | None, typer.Option(help="Username of its instructor (an instructor account).")] = None,
) -> None:
    """Create a course and print its id and join code."""
    with database_session() as session:
        teacher = _user(session, instructor) if instructor else None
        if teacher is not None and teacher.role != Role.INSTRUCTOR:
            fail(f"{teacher.username!r} is a learner account; make them an assistant with `courses enrol --role`")
        try:
            course = course_service.create_course(session, title=title, created_by=teacher)
        except CourseError as exc:
            fail(str(exc))
    out.print(f"created course {course.id} {course.title!r}; join code {course.join_code}", markup=False)


@courses.command("list")
def list_courses() -> None:
    """Every course with its join code and member counts."""
    with database_session() as session:
        table = Table("id", "title", "join code", "staff", "learners")
        for course in session.exec(select(Course).order_by(Course.id)).all():  # type: ignore[arg-type]
            assert course.id is not None
            people = course_service.members(session, course_id=course.id)
            staff = sum(1 for _, m in people if CourseRole(m.role).staff)
            table.add_row(str(course.id), course.title, course.join_code, str(staff), str(len(people) - staff))
    out.print(table)


@courses.command("enrol")
def enrol(
    course_id: Annotated[int, typer.Argument(help="The course's id.")],
    usernames: Annotated[list[str], typer.Argument(help="Accounts to enrol.")],
    role: Annotated[CourseRole, typer.Option(help="Their role in the course.")] = CourseRole.LEARNER,
) -> None:
    """Enrol accounts in a course (or change their role there)."""
    with database_session() as session:
        course = _course(session, course_id)
        people = [_user(session, name) for name in usernames]
        for user in people:
            course_service.add_member(session, course=course, user=user, role=role, enrolment=Enrolment.COMMAND_LINE)
            out.print(f"{user.username} is {role.value} in course {course.id}", markup=False)


@courses.command("remove")
def remove(
    course_id: Annotated[int, typer.Argument(help="The course's id.")],
    username: Annotated[str, typer.Argument(help="The account to take out.")],
) -> None:
    """Take an account out of a course (its submissions stay)."""
    with database_session() as session:
        course = _course(session, course_id)
        if not course_service.remove_member(session, course=course, user=_user(session, username)):
            fail(f"{username!r} is not in course {course_id}", code=1)
    out.print(f"removed {username} from course {course_id}", markup=False)


@courses.command("assign")
def assign(
    course_id: Annotated[int, typer.Argument(help="The course's id.")],
    exercise: Annotated[str, typer.Argument(help="The lesson's slug.")],
    due: Annotated[str, typer.Option(help="Due date, e.g. 2031-03-14T23:59 (in --time-zone) or with an offset.")],
    points: Annotated[float, typer.Option(min=0.01, help="What it is worth.")] = 10.0,
    release: Annotated[str | None, typer.Option(help="Release date (default: now).")] = None,
    late_until: Annotated[str | None, typer.Option(help="Late work accepted until this date.")] = None,
    late_credit: Annotated[float, typer.Option(min=0.0, max=1.0, help="Fraction late work earns.")] = 0.0,
    time_zone: Annotated[str, typer.Option(help="IANA zone of dates written without an offset.")] = "UTC",
    mode: Annotated[
        str, typer.Option(help=f"The lesson's mode the grade comes from: {', '.join(ASSIGNABLE_MODES)}.")
    ] = WRITE,
) -> None:
    """Set a lesson in a course, in one of its modes, with points and dates."""
    if Catalog.load(checked_settings().exercises_dir).get(exercise) is None:
        fail(f"unknown exercise {exercise!r}; `tracedojo list` shows them")
    if mode not in ASSIGNABLE_MODES:
        fail(f"--mode: {mode[:32]!r} is not a graded mode; choose one of {', '.join(ASSIGNABLE_MODES)}")
    try:
        due_at = parse_local(due, time_zone, field="--due")
        release_at = parse_local(release, time_zone, field="--release") if release else utcnow()
        late_at = parse_local(late_until, time_zone, field="--late-until") if late_until else None
    except TimeInputError as exc:
        fail(str(exc))
    with database_session() as session:
        course = _course(session, course_id)
        assert course.id is not None
        try:
            made = assignment_service.create_assignment(
                session,
                course_id=course.id,
                exercise_slug=exercise,
                points=points,
                release_at=release_at,
                due_at=due_at,
                late_until=late_at,
                late_credit=late_credit,
                mode=mode,
            )
        except CourseError as exc:
            fail(str(exc))
    out.print(
        f"assignment {made.id}: {exercise} ({mode}) in course {course_id}, due {utc_text(made.due_at)}", markup=False
    )


@courses.command("unassign")
def unassign(
    course_id: Annotated[int, typer.Argument(help="The course's id.")],
    assignment_id: Annotated[int, typer.Argument(help="The assignment's id (`courses assignments` lists them).")],
) -> None:
    """Delete an assignment; the learners' work stays, as practice."""
    with database_session() as session:
        _course(session, course_id)
        found = session.get(Assignment, assignment_id)
        if found is None or found.course_id != course_id:
            fail(f"no assignment {assignment_id} in course {course_id}; `tracedojo courses assignments` lists them")
        what = f"{found.exercise_slug} ({found.mode})"
        assignment_service.delete_assignment(session, assignment=found)
    out.print(f"deleted assignment {assignment_id}: {what} in course {course_id}; its work stays as practice")


@courses.command("assignments")
def list_assignments(course_id: Annotated[int, typer.Argument(help="The course's id.")]) -> None:
    """A course's assignments: id, lesson, mode, points and due date."""
    with database_session() as session:
        _course(session, course_id)
        table = Table("id", "lesson", "mode", "points", "due (UTC)")
        for row in assignment_service.assignments_of(session, course_id=course_id):
            table.add_row(str(row.id), row.exercise_slug, row.mode, f"{row.points:g}", utc_text(row.due_at))
    out.print(table)


@courses.command("gradebook")
def gradebook(
    course_id: Annotated[int, typer.Argument(help="The course's id.")],
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")] = False,
) -> None:
    """Each learner's grade on each assignment under its policy."""
    catalog = Catalog.load(checked_settings().exercises_dir)
    with database_session() as session:
        _course(session, course_id)
        book = course_gradebook(session, course_id=course_id, lessons=catalog)
    if csv:
        typer.echo(course_gradebook_csv(book), nl=False)
        return
    table = Table(
        "learner", *(f"{a.exercise} {a.mode} (/{a.points:g})" for a in book.assignments), f"total (/{book.points:g})"
    )
    for row in book.rows:
        cells = []
        for column in book.assignments:
            grade = row.grades.get(column.id)
            cells.append(f"{grade.score:g} {grade.state.value}" if grade else "")
        table.add_row(row.username, *cells, f"{row.total:g}")
    out.print(table)
