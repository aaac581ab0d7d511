"""``tracedojo courses ...`` against a real database file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer
from factories import create_learner
from sqlmodel import Session
from typer.testing import CliRunner

from tracedojo.cli_platform import register
from tracedojo.db import make_engine, migrate
from tracedojo.models import Role


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("TRACEDOJO_DATABASE_URL", url)
    monkeypatch.setenv("TRACEDOJO_SECRET_KEY", "a-secret-key-long-enough-for-the-settings-check")
    return url


def test_a_course_made_enrolled_and_assigned_from_the_command_line(cli: typer.Typer, database: str) -> None:
    engine = make_engine(database)
    migrate(engine)
    with Session(engine) as session:
        teacher = create_learner(session, role=Role.INSTRUCTOR).username
        learners = [create_learner(session).username for _ in range(2)]
    engine.dispose()
    runner = CliRunner()

    made = runner.invoke(cli, ["courses", "create", "Evening class", "--instructor", teacher])
    assert made.exit_code == 0, made.output
    match = re.search(r"created course (\d+) 'Evening class'; join code ([A-Z0-9]{8})", made.output)
    assert match, made.output
    course_id = match.group(1)

    enrolled = runner.invoke(cli, ["courses", "enrol", course_id, *learners])
    assert enrolled.exit_code == 0, enrolled.output
    assert f"{learners[0]} is learner in course {course_id}" in enrolled.output

    assigned = runner.invoke(
        cli,
        ["courses", "assign", course_id, "echo-once", "--due", "2031-06-01T17:00", "--time-zone", "Europe/London"],
    )
    assert assigned.exit_code == 0, assigned.output
    assert "due 2031-06-01 16:00 UTC" in assigned.output  # British Summer Time

    book = runner.invoke(cli, ["courses", "gradebook", course_id, "--csv"])
    assert book.exit_code == 0, book.output
    lines = book.output.splitlines()
    assert lines[0].startswith("username,total,total max,echo-once score")
    assert sorted(line.split(",")[0] for line in lines[1:]) == sorted(learners)
    listed = runner.invoke(cli, ["courses", "list"])
    assert "Evening class" in listed.output and match.group(2) in listed.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["courses", "enrol", "999", "nobody"], "no course 999"),
        (["courses", "assign", "1", "no-such", "--due", "2031-01-01T00:00"], "unknown exercise 'no-such'"),
        (["courses", "assign", "1", "echo-once", "--due", "soon"], "--due: 'soon' is not a date and time"),
        (["courses", "assign", "1", "echo-once", "--due", "2031-01-01T00:00", "--time-zone", "Nowhere"], "not a known"),
        (["courses", "create", "Class", "--instructor", "ghost"], "no user 'ghost'"),
    ],
)
def test_command_line_mistakes_exit_2_with_the_reason(
    cli: typer.Typer, database: str, args: list[str], message: str
) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert message in result.output
