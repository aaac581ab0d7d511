"""Marking LMS grades as due again when something other than grading changes them (a moved due date,
an extension): the passback thread then sends the recomputed best score."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import update
from sqlmodel import Session, col, select

from tracedojo.lti.models import LtiGradeSync, LtiResourceLink, LtiUser, SyncStatus
from tracedojo.models import utcnow


def mark_assignment_grades_due(session: Session, *, assignment_id: int, user_ids: Collection[int]) -> int:
    """The LMS grades of these learners on the assignment's links, due now; the caller commits."""
    if not user_ids:
        return 0
    table = LtiGradeSync.__table__  # type: ignore[attr-defined]
    links = select(LtiResourceLink.id).where(LtiResourceLink.assignment_id == assignment_id)
    people = select(LtiUser.id).where(col(LtiUser.user_id).in_(list(user_ids)))
    result = session.connection().execute(
        update(table)
        .where(table.c.resource_link_id.in_(links.scalar_subquery()), table.c.lti_user_id.in_(people.scalar_subquery()))
        .values(
            generation=table.c.generation + 1,
            status=SyncStatus.PENDING.value,
            attempts=0,
            next_attempt_at=utcnow(),
            updated_at=utcnow(),
        )
    )
    return int(result.rowcount or 0)
