from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import typer
from factories import EXERCISES
from sqlmodel import Session, select
from typer.testing import CliRunner

from tracedojo.cli_platform import register
from tracedojo.db import make_engine, migrate
from tracedojo.models import Submission, SubmissionStatus, User


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("TRACEDOJO_DATABASE_URL", url)
    return url


def test_users_create_from_stdin(cli: typer.Typer, database: str) -> None:
    runner = CliRunner()
    created = runner.invoke(
        cli, ["users", "create", "Grace", "--role", "instructor", "--password-stdin"], input="long enough pw\n"
    )
    assert created.exit_code == 0, created.output
    assert "created instructor 'grace'" in created.output
    assert created.stderr == f"tracedojo: database SQLite {database.removeprefix('sqlite:///')}\n"
    engine = make_engine(database)
    with Session(engine) as session:
        user = session.exec(select(User).where(User.username == "grace")).one()
        assert user.role == "instructor" and user.password_hash.startswith("$argon2")
    engine.dispose()

    taken = runner.invoke(cli, ["users", "create", "grace", "--password-stdin"], input="long enough pw\n")
    assert taken.exit_code == 1 and "taken" in taken.output
    short = runner.invoke(cli, ["users", "create", "bob", "--password-stdin"], input="short\n")
    assert short.exit_code == 2 and "at least 8 characters" in short.output
    bad_role = runner.invoke(cli, ["users", "create", "bob", "--role", "admin", "--password-stdin"], input="x" * 9)
    assert bad_role.exit_code == 2


def test_users_create_prompts_for_the_password(cli: typer.Typer, database: str) -> None:
    result = CliRunner().invoke(cli, ["users", "create", "ada"], input="secret pass\nsecret pass\n")
    assert result.exit_code == 0, result.output
    assert "created learner 'ada'" in result.output


def test_commands_that_sign_nothing_give_no_secret_key_warning(
    cli: typer.Typer, database: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """users create and regrade never sign a session or token: no development-key warning, no refusal."""
    monkeypatch.delenv("TRACEDOJO_SECRET_KEY", raising=False)
    monkeypatch.setenv("TRACEDOJO_EXERCISES_DIR", str(EXERCISES))
    created = CliRunner().invoke(cli, ["users", "create", "lin", "--password-stdin"], input="long enough pw\n")
    assert created.exit_code == 0, created.output
    regraded = CliRunner().invoke(cli, ["regrade", "echo-once"])
    assert regraded.exit_code == 0, regraded.output
    assert "regraded 0 submission(s)" in regraded.output
    assert regraded.stderr.startswith("tracedojo: database SQLite ")
    assert "secret key" not in caplog.text + created.output + regraded.output
    monkeypatch.setenv("TRACEDOJO_ENV", "production")  # a placeholder key does not stop a command that needs none
    production = CliRunner().invoke(cli, ["users", "create", "kim", "--password-stdin"], input="long enough pw\n")
    assert production.exit_code == 0, production.output


def test_serve_refuses_a_placeholder_secret_in_production(
    cli: typer.Typer, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACEDOJO_ENV", "production")
    monkeypatch.delenv("TRACEDOJO_SECRET_KEY", raising=False)
    result = CliRunner().invoke(cli, ["serve", "--port", "1"])
    assert result.exit_code == 2
    assert "TRACEDOJO_SECRET_KEY" in result.output


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.mark.slow
def test_serve_creates_the_database_and_serves_the_exercises(tmp_path: Path) -> None:
    """What `make run` does on a fresh machine: no database yet, SQLite in the data folder, not the current one."""
    port = _free_port()
    data = tmp_path / "data"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "TRACEDOJO_EXERCISES_DIR": str(EXERCISES), "TRACEDOJO_DATA_DIR": str(data)}
    env.pop("TRACEDOJO_DATABASE_URL", None)
    script = Path(sys.executable).parent / "tracedojo"
    server = subprocess.Popen(
        [str(script), "serve", "--port", str(port)],
        cwd=elsewhere,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    page = response.read().decode()
                break
            except OSError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                assert time.monotonic() < deadline, "the server did not come up"
                time.sleep(0.2)
        assert "WebSocket endpoint creation in FastAPI" in page
        assert (data / "tracedojo.db").is_file()
        assert not (elsewhere / "var").exists()
    finally:
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=30)
    assert "exercise(s) from" in output and "generated a temporary secret key" in output
    assert f"tracedojo: database SQLite {data / 'tracedojo.db'}" in output


def test_regrade_grades_every_stored_submission_again(
    cli: typer.Typer, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACEDOJO_EXERCISES_DIR", str(EXERCISES))
    engine = make_engine(database)
    migrate(engine)
    reference = (EXERCISES / "echo-once" / "solution.py").read_text()
    with Session(engine) as session:
        user = User(username="old", password_hash="x")
        session.add(user)
        session.commit()
        session.refresh(user)
        assert user.id is not None
        for code in (reference, "x = 1\n"):
            session.add(
                Submission(
                    user_id=user.id,
                    exercise_slug="echo-once",
                    exercise_version="before",
                    code=code,
                    max_score=7.0,
                    status=SubmissionStatus.FAILED,
                    score=1.0,
                )
            )
        session.commit()
    result = CliRunner().invoke(cli, ["regrade", "echo-once"])
    assert result.exit_code == 0, result.output
    assert "regraded 2 submission(s) of echo-once" in result.output and "1 passed" in result.output
    assert result.stderr.startswith(f"tracedojo: database SQLite {database.removeprefix('sqlite:///')}\n")
    with Session(engine) as session:
        rows = session.exec(select(Submission)).all()
        assert sorted(r.status for r in rows) == ["error", "passed"]  # "x = 1" defines no endpoint
        assert all(r.exercise_version != "before" for r in rows)
    engine.dispose()

    unknown = CliRunner().invoke(cli, ["regrade", "no-such-exercise"])
    assert unknown.exit_code == 2 and "unknown exercise 'no-such-exercise'" in unknown.output


def test_users_create_refuses_a_weak_password_with_the_reason(cli: typer.Typer, database: str) -> None:
    same = CliRunner().invoke(cli, ["users", "create", "gracehopper", "--password-stdin"], input="gracehopper\n")
    assert same.exit_code == 2
    assert "password: must not be the same as the username" in same.output
    common = CliRunner().invoke(cli, ["users", "create", "grace", "--password-stdin"], input="password123\n")
    assert common.exit_code == 2
    assert "password: is too easy to guess (this is a very common password)" in common.output
