"""Marking LMS grades as due again when something other than grading changes them (a moved due date,
an extension): the passback thread then sends the recomputed best score."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import update
from sqlmodel import Session, col, select

from tracedojo.lti.models import LtiGradeSync, LtiResourceLink, LtiUser, SyncStatus
from tracedojo.models import utcnow

ASSIGNMENT_DELETED = "the assignment this LMS link opened was deleted; its grade is no longer sent"


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


def unlink_assignment(session: Session, *, assignment_id: int) -> int:
    """A deleted assignment's LMS links open nothing any more, and their unsent grades are not sent; the
    caller commits. Returns how many links it had."""
    links = list(session.exec(select(LtiResourceLink).where(LtiResourceLink.assignment_id == assignment_id)).all())
    for link in links:
        link.assignment_id = None
        session.add(link)
        for sync in session.exec(
            select(LtiGradeSync).where(
                LtiGradeSync.resource_link_id == link.id, LtiGradeSync.status == SyncStatus.PENDING
            )
        ).all():
            sync.status, sync.last_error, sync.updated_at = SyncStatus.FAILED, ASSIGNMENT_DELETED, utcnow()
            session.add(sync)
    return len(links)
