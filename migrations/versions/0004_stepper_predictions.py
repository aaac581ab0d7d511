"""stepper: predictions and stepping per lesson row

Revision ID: 0004_stepper
Revises: 0003
Create Date: 2026-11-30 23:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004_stepper"
down_revision = "0004_courses"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "step_prediction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("exercise_slug", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("exercise_version", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("answer", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("correct", sa.Boolean(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("step_prediction", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_step_prediction_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_step_prediction_exercise_slug"), ["exercise_slug"], unique=False)

    op.create_table(
        "step_visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("exercise_slug", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("back_steps", sa.Integer(), nullable=False),
        sa.Column("total_ms", sa.Integer(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "exercise_slug", "step", name="uq_step_visit_user_lesson_step"),
    )
    with op.batch_alter_table("step_visit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_step_visit_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_step_visit_exercise_slug"), ["exercise_slug"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("step_visit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_step_visit_exercise_slug"))
        batch_op.drop_index(batch_op.f("ix_step_visit_user_id"))
    op.drop_table("step_visit")
    with op.batch_alter_table("step_prediction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_step_prediction_exercise_slug"))
        batch_op.drop_index(batch_op.f("ix_step_prediction_user_id"))
    op.drop_table("step_prediction")
