"""The database engine, sessions and migrations (Alembic, run on startup)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import create_engine

from tracedojo.settings import PROJECT_ROOT

MIGRATIONS = PROJECT_ROOT / "migrations"
SQLITE_BUSY_SECONDS = 60


def make_engine(url: str, *, pool_size: int = 10, max_overflow: int = 20) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # Pre-ping survives a database restart; recycling keeps idle connections under server/proxy timeouts.
        return create_engine(
            url, pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow, pool_recycle=1800, pool_timeout=30
        )
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    # A SQLite connection is a file handle in this process, so the pool may grow with the threads that
    # ask for one (unbounded overflow): a burst then waits on SQLite's own lock, never on a pool timeout.
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_SECONDS},
        pool_size=pool_size,
        max_overflow=-1,
    )

    @event.listens_for(engine, "connect")
    def _pragmas(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        # WAL lets the grading workers write while pages read; a writer waits for the lock (busy timeout)
        # instead of failing at once; NORMAL is WAL's safe setting (a power cut may lose the last commits,
        # never corrupt the file).
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def alembic_config(url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(engine: Engine) -> None:
    """Create the database or bring it to the newest schema."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Web processes and workers may start together: one migrates, the others wait and find it done.
            connection.execute(text("SELECT pg_advisory_xact_lock(7226351)"))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
