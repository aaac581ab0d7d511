"""course modes: an assignment names a lesson and one of its modes (write, predict, quiz, parsons, ...)

Revision ID: 0010_course_modes
Revises: 0006_platform
Create Date: 2026-12-01 04:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0010_course_modes"
down_revision = "0006_platform"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every assignment made before modes existed asked for the whole endpoint: "write".
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("mode", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False, server_default="write")
        )
        batch_op.drop_constraint("uq_assignment_lesson", type_="unique")
        batch_op.create_unique_constraint("uq_assignment_lesson_mode", ["course_id", "exercise_slug", "mode"])


def downgrade() -> None:
    # Only the write assignments keep their place in the older schema (one assignment per lesson).
    others = "SELECT id FROM assignment WHERE mode <> 'write'"
    op.execute(f"DELETE FROM assignment_extension WHERE assignment_id IN ({others})")
    op.execute(f"DELETE FROM deadline_change WHERE assignment_id IN ({others})")
    op.execute("DELETE FROM assignment WHERE mode <> 'write'")
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.drop_constraint("uq_assignment_lesson_mode", type_="unique")
        batch_op.create_unique_constraint("uq_assignment_lesson", ["course_id", "exercise_slug"])
        batch_op.drop_column("mode")
