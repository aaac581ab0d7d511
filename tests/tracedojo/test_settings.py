from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from pydantic import ValidationError

from tracedojo.settings import PLACEHOLDER_SECRET, PROJECT_ROOT, Settings, describe_database


def test_placeholder_secret_is_refused_outside_development() -> None:
    with pytest.raises(ValidationError, match="TRACEDOJO_SECRET_KEY is unset or left at the placeholder"):
        Settings(env="production", secret_key=PLACEHOLDER_SECRET)
    with pytest.raises(ValidationError, match="too predictable"):
        Settings(env="production", secret_key="short")
    key = secrets.token_urlsafe(32)
    assert Settings(env="production", secret_key=key).secret_key == key


@pytest.mark.parametrize("weak", ["a" * 16, "x" * 64, "abcd" * 8, "passwordpassword"])
def test_production_refuses_a_key_with_too_little_randomness(weak: str) -> None:
    with pytest.raises(ValidationError, match="TRACEDOJO_SECRET_KEY is too predictable"):
        Settings(env="production", secret_key=weak)
    assert Settings(env="development", secret_key=weak).secret_key == weak


def test_development_generates_a_secret_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    first, second = Settings(env="development"), Settings(env="development")
    assert first.secret_key != PLACEHOLDER_SECRET and len(first.secret_key) >= 32
    assert first.secret_key != second.secret_key
    assert "generated a temporary secret key" in caplog.text


def test_environment_variables(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TRACEDOJO_DATABASE_URL", "postgresql+psycopg://u:p@db/tracedojo")
    monkeypatch.setenv("TRACEDOJO_SECRET_KEY", secrets.token_urlsafe(30))
    monkeypatch.setenv("TRACEDOJO_ENV", "production")
    monkeypatch.setenv("TRACEDOJO_EXERCISES_DIR", str(tmp_path))
    monkeypatch.setenv("TRACEDOJO_LIMITS__STEP_TIMEOUT", "1.5")
    monkeypatch.setenv("TRACEDOJO_LIMITS__CODE_BYTES", "2048")
    settings = Settings()
    assert settings.database_url.startswith("postgresql") and not settings.is_sqlite
    assert settings.limits.step_timeout == 1.5 and settings.limits.code_bytes == 2048
    assert str(settings.exercises_dir) == str(tmp_path)
    assert settings.queue == "inline" and settings.secure_cookies


def test_defaults_are_sqlite_under_the_projects_var(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TRACEDOJO_DATABASE_URL", "TRACEDOJO_ENV", "TRACEDOJO_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.database_url == f"sqlite:///{PROJECT_ROOT / 'var' / 'tracedojo.db'}" and settings.is_sqlite
    assert settings.env == "development"
    assert settings.database_description == f"SQLite {PROJECT_ROOT / 'var' / 'tracedojo.db'}"


def test_default_database_does_not_depend_on_the_current_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A command run from another folder must find the same database, not create an empty one there."""
    for name in ("TRACEDOJO_DATABASE_URL", "TRACEDOJO_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    urls = set()
    for folder in (tmp_path, tmp_path / "deeper", PROJECT_ROOT):
        folder.mkdir(exist_ok=True)
        monkeypatch.chdir(folder)
        urls.add(Settings().database_url)
    assert len(urls) == 1


def test_data_dir_moves_the_default_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TRACEDOJO_DATABASE_URL", raising=False)
    monkeypatch.setenv("TRACEDOJO_DATA_DIR", str(tmp_path / "data"))
    assert Settings().database_url == f"sqlite:///{tmp_path / 'data' / 'tracedojo.db'}"
    monkeypatch.setenv("TRACEDOJO_DATABASE_URL", "sqlite:///elsewhere.db")
    assert Settings().database_url == "sqlite:///elsewhere.db"  # an explicit URL is kept as given


def test_describe_database_names_the_file_or_server_without_password(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    assert describe_database("sqlite:///rel/x.db") == f"SQLite {tmp_path / 'rel' / 'x.db'}"
    assert describe_database("sqlite://") == "SQLite in memory"
    described = describe_database("postgresql+psycopg://user:hunter2@db:5432/tracedojo")
    assert "hunter2" not in described and "db:5432/tracedojo" in described
