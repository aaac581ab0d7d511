from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import Session, SQLModel, select

import tracedojo.lti.models
import tracedojo.models  # noqa: F401
from tracedojo import predict_mode, review, stepping  # noqa: F401
from tracedojo.db import make_engine, migrate
from tracedojo.models import Submission, SubmissionStatus, User


def test_migrations_create_every_table_and_match_the_models(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'nested' / 'dir' / 'td.db'}")
    migrate(engine)
    migrate(engine)  # idempotent
    assert set(inspect(engine).get_table_names()) >= {"user", "quiz_answer", "submission", "alembic_version"}
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == [], "the models changed without a migration: run alembic revision --autogenerate"
    engine.dispose()


def test_submission_round_trip(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'td.db'}")
    migrate(engine)
    with Session(engine) as session:
        user = User(username="ada", password_hash="x")
        session.add(user)
        session.commit()
        session.refresh(user)
        assert user.id is not None
        steps = [{"n": 1, "title": "t", "status": "passed", "expected": "e", "actual": "a"}]
        session.add(
            Submission(
                user_id=user.id,
                exercise_slug="s",
                exercise_version="v",
                code="print()",
                max_score=7.0,
                steps=steps,
                status=SubmissionStatus.PASSED,
            )
        )
        session.commit()
    with Session(engine) as session:
        row = session.exec(select(Submission)).one()
        assert row.steps == steps and row.status == "passed" and row.created_at.tzinfo is not None
    engine.dispose()
