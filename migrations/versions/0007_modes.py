"""modes: attempts in a lesson's graded modes (Parsons, fill in the blanks, fix the bug)

Revision ID: 0007_modes
Revises: 0008_review
Create Date: 2026-12-01 03:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007_modes"
down_revision = "0008_review"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mode_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("exercise_slug", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("exercise_version", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("mode", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("variant", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("max_score", sa.Float(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["submission_id"], ["submission.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mode_attempt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mode_attempt_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mode_attempt_exercise_slug"), ["exercise_slug"], unique=False)
        batch_op.create_index(batch_op.f("ix_mode_attempt_mode"), ["mode"], unique=False)
        batch_op.create_index(batch_op.f("ix_mode_attempt_submission_id"), ["submission_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mode_attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mode_attempt_submission_id"))
        batch_op.drop_index(batch_op.f("ix_mode_attempt_mode"))
        batch_op.drop_index(batch_op.f("ix_mode_attempt_exercise_slug"))
        batch_op.drop_index(batch_op.f("ix_mode_attempt_user_id"))
    op.drop_table("mode_attempt")
