"""Alembic environment: the tables are tracedojo.models' SQLModel metadata."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool
from sqlmodel import SQLModel

import tracedojo.course_models
import tracedojo.lti.models
import tracedojo.mode_attempts
import tracedojo.models  # noqa: F401  (registers the tables)
from tracedojo import (  # noqa: F401  (the stepper's, the learning modes' and the sign-ins' tables)
    login_sessions,
    predict_mode,
    review,
    stepping,
)
from tracedojo.settings import Settings

config = context.config
target_metadata = SQLModel.metadata


def _url() -> str:
    configured = config.get_main_option("sqlalchemy.url")
    return configured or Settings().database_url


def run_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = engine_from_config({"sqlalchemy.url": _url()}, prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
