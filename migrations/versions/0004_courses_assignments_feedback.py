"""courses, members, assignments, extensions, deadline changes, comments and reusable feedback

Revision ID: 0004_courses
Revises: 0003
Create Date: 2026-11-30 22:54:37.438847
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004_courses"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "course",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("join_code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("course", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_course_join_code"), ["join_code"], unique=True)

    op.create_table(
        "assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("exercise_slug", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("release_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("due_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("late_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("late_credit", sa.Float(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("course_id", "exercise_slug", name="uq_assignment_lesson"),
    )
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assignment_course_id"), ["course_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assignment_exercise_slug"), ["exercise_slug"], unique=False)

    op.create_table(
        "course_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("enrolment", sa.String(length=16), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("course_id", "user_id", name="uq_course_member"),
    )
    with op.batch_alter_table("course_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_course_member_course_id"), ["course_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_course_member_user_id"), ["user_id"], unique=False)

    op.create_table(
        "feedback_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("exercise_slug", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("step_n", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("feedback_rule", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_rule_course_id"), ["course_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_rule_exercise_slug"), ["exercise_slug"], unique=False)

    op.create_table(
        "submission_comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("submission_comment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_submission_comment_course_id"), ["course_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_submission_comment_submission_id"), ["submission_id"], unique=False)

    op.create_table(
        "assignment_extension",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("due_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("late_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("granted_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignment.id"],
        ),
        sa.ForeignKeyConstraint(
            ["granted_by"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("assignment_id", "user_id", name="uq_extension_learner"),
    )
    with op.batch_alter_table("assignment_extension", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assignment_extension_assignment_id"), ["assignment_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assignment_extension_user_id"), ["user_id"], unique=False)

    op.create_table(
        "deadline_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("what", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignment.id"],
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("deadline_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deadline_change_assignment_id"), ["assignment_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("deadline_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deadline_change_assignment_id"))

    op.drop_table("deadline_change")
    with op.batch_alter_table("assignment_extension", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignment_extension_user_id"))
        batch_op.drop_index(batch_op.f("ix_assignment_extension_assignment_id"))

    op.drop_table("assignment_extension")
    with op.batch_alter_table("submission_comment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submission_comment_submission_id"))
        batch_op.drop_index(batch_op.f("ix_submission_comment_course_id"))

    op.drop_table("submission_comment")
    with op.batch_alter_table("feedback_rule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_rule_exercise_slug"))
        batch_op.drop_index(batch_op.f("ix_feedback_rule_course_id"))

    op.drop_table("feedback_rule")
    with op.batch_alter_table("course_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_course_member_user_id"))
        batch_op.drop_index(batch_op.f("ix_course_member_course_id"))

    op.drop_table("course_member")
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignment_exercise_slug"))
        batch_op.drop_index(batch_op.f("ix_assignment_course_id"))

    op.drop_table("assignment")
    with op.batch_alter_table("course", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_course_join_code"))

    op.drop_table("course")
