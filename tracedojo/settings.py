"""The platform's settings: one pydantic-settings class, ``TRACEDOJO_`` environment prefix."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from grader import Limits
from grader.loader import default_exercises_dir

log = logging.getLogger("tracedojo")

PLACEHOLDER_SECRET = "change-me"
MIN_SECRET_BITS = 72  # estimated as in ``security.secret_entropy_bits``; token_urlsafe(16) has about 80
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class InsecureSettings(ValueError):
    pass


def default_data_dir() -> Path:
    """Where the SQLite database lives unless told otherwise: never the current folder.

    In a checkout (the README's ``make run``) that is the project's ``var/``, so every command run from any
    folder finds the same database; an installed copy uses the user's data folder (XDG).
    """
    if (PROJECT_ROOT / "pyproject.toml").is_file():
        return PROJECT_ROOT / "var"
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "tracedojo"


def describe_database(url: str) -> str:
    """The database a URL names, for people: a SQLite file as its absolute path, a server without password."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            return "SQLite in memory"
        return f"SQLite {Path(parsed.database).resolve()}"
    return parsed.render_as_string(hide_password=True)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRACEDOJO_", env_nested_delimiter="__", extra="ignore")

    env: Literal["development", "production"] = "development"
    data_dir: Path = Field(
        default_factory=default_data_dir, description="folder of the default SQLite database (not the current one)"
    )
    database_url: str = Field(default="", description="default: SQLite at <data_dir>/tracedojo.db")
    secret_key: str = PLACEHOLDER_SECRET
    exercises_dir: Path = Field(default_factory=default_exercises_dir)
    queue: Literal["inline", "celery"] = "inline"
    broker_url: str = "redis://127.0.0.1:6379/0"
    grading_workers: int = Field(default=2, ge=1, le=64, description="threads grading at once (inline queue)")
    events_url: str | None = Field(
        default=None, description="Redis for live events between processes (celery queue); default: a redis:// broker"
    )
    celery_queue: str = Field(default="tracedojo.grading", description="the broker queue (one per deployment)")
    events_prefix: str = Field(default="tracedojo", description="Redis key and channel prefix of live events")
    live_quiet_check: float = Field(
        default=5.0, gt=0, description="seconds a relayed live WebSocket waits in silence before asking the database"
    )
    grading_lease: float | None = Field(
        default=None,
        gt=0,
        description="seconds a claim on a submission lasts unless its worker renews it (every third of it)",
    )
    requeue_after: float = Field(
        default=120.0, gt=0, description="seconds before a queued submission is enqueued again"
    )
    sweep_interval: float = Field(default=15.0, gt=0, description="seconds between a worker's sweeps for stale rows")
    database_pool_size: int = Field(default=10, ge=1, le=200, description="connections kept open (PostgreSQL)")
    database_max_overflow: int = Field(
        default=30, ge=0, le=500, description="extra connections under load (size + overflow: the 40 request threads)"
    )
    limits: Limits = Limits()

    public_url: str = Field(
        default="",
        description="the address people reach tracedojo at (https://...); LTI URLs are built on it "
        "(default: the address of each request)",
    )
    lti_retry_seconds: float = Field(
        default=30.0, gt=0, description="seconds before an LMS grade that failed is sent again (doubling each time)"
    )
    lti_max_attempts: int = Field(default=6, ge=1, le=50, description="tries before an LMS grade is marked failed")
    lti_poll_seconds: float = Field(default=5.0, gt=0, description="seconds between looks for LMS grades to retry")

    login_attempts_per_minute: int = Field(default=10, ge=1, description="per client address and username")
    failed_logins_per_address: int = Field(
        default=30, ge=1, description="failed sign-ins per client address in 15 minutes, whatever the usernames"
    )
    rate_limits_url: str | None = Field(
        default=None,
        description="Redis where rate limits count (shared by web processes); default: the event bus with the "
        "celery queue, this process's memory with the inline one",
    )
    registrations_per_minute: int = Field(default=10, ge=1, description="per client address")
    submissions_per_minute: int = Field(default=12, ge=1, description="per user")
    session_max_age: int = Field(default=14 * 24 * 3600, ge=60, description="seconds a browser session lasts")
    token_max_age: int = Field(default=7 * 24 * 3600, ge=60, description="seconds an API token lasts")
    max_request_bytes: int = Field(
        default=1024 * 1024,
        ge=4096,
        description="largest request body accepted (raised to fit the code limit, escaped)",
    )

    @model_validator(mode="after")
    def _database(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir.resolve() / 'tracedojo.db'}"
        return self

    @model_validator(mode="after")
    def _secret(self) -> Settings:
        if self.secret_key in ("", PLACEHOLDER_SECRET):
            if self.env != "development":
                raise InsecureSettings(
                    "TRACEDOJO_SECRET_KEY is unset or left at the placeholder; "
                    "set it to a long random value (for example `python -c 'import secrets; "
                    "print(secrets.token_urlsafe(48))'`) outside development"
                )
            self.secret_key = secrets.token_urlsafe(48)
            log.warning(
                "development mode: generated a temporary secret key (sessions end when the server restarts); "
                "set TRACEDOJO_SECRET_KEY to keep them"
            )
        elif self.env != "development":
            from tracedojo.security import secret_entropy_bits

            bits = secret_entropy_bits(self.secret_key)
            if len(self.secret_key) < 16 or bits < MIN_SECRET_BITS:
                raise InsecureSettings(
                    f"TRACEDOJO_SECRET_KEY is too predictable (about {bits:.0f} bits of randomness in "
                    f"{len(self.secret_key)} characters; at least {MIN_SECRET_BITS} are needed): set it to a long "
                    "random value, for example `python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
                )
        return self

    @property
    def database_description(self) -> str:
        return describe_database(self.database_url)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def lease_seconds(self) -> float:
        """How long a claim holds without being renewed; a grading worker renews it every third of that."""
        if self.grading_lease is not None:
            return self.grading_lease
        return 20.0

    @property
    def longest_grading_seconds(self) -> float:
        """Loading plus two runs of the trace at their limits."""
        return 2 * self.limits.submission_timeout + self.limits.load_timeout

    @property
    def event_bus_url(self) -> str | None:
        if self.events_url:
            return self.events_url
        return self.broker_url if self.broker_url.startswith(("redis://", "rediss://")) else None

    @property
    def rate_limit_storage_url(self) -> str | None:
        if self.rate_limits_url:
            return self.rate_limits_url
        return self.event_bus_url if self.queue == "celery" else None

    @property
    def request_body_limit(self) -> int:
        """Room for the largest allowed submission even when every byte arrives escaped (JSON \\u00XX)."""
        return max(self.max_request_bytes, 6 * self.limits.code_bytes + 4096)

    @property
    def secure_cookies(self) -> bool:
        return self.env == "production"
