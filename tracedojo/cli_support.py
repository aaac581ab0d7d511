"""What the platform's command groups (courses, lti) share: their consoles, one way to fail with a
reason, and the database the commands work on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from rich.console import Console
from sqlalchemy import Engine
from sqlmodel import Session

from tracedojo.db import make_engine, migrate
from tracedojo.settings import Settings

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"Error: {message}", markup=False, soft_wrap=True)
    raise typer.Exit(code)


def checked_settings() -> Settings:
    from tracedojo.cli_platform import _settings  # imported late: cli_platform registers the groups

    return _settings()


@contextmanager
def migrated_engine() -> Iterator[Engine]:
    engine = make_engine(checked_settings().database_url)
    try:
        migrate(engine)
        yield engine
    finally:
        engine.dispose()


@contextmanager
def database_session() -> Iterator[Session]:
    with migrated_engine() as engine, Session(engine, expire_on_commit=False) as session:
        yield session
