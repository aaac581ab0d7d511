"""Names and Role Provisioning: the LMS course's roster, enrolled in its tracedojo course with their roles."""

from __future__ import annotations

from dataclasses import dataclass

import requests
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.names_roles import NamesRolesProvisioningService
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from tracedojo.course_models import Course
from tracedojo.courses import membership
from tracedojo.lti.adapter import ToolServiceConnector
from tracedojo.lti.models import LtiContext, LtiPlatform
from tracedojo.lti.people import LmsPerson, course_role, enrol_lms_member, lms_account
from tracedojo.lti.registry import registration_of
from tracedojo.models import utcnow


class RosterError(Exception):
    """The roster could not be fetched; the message says why and what to do."""


@dataclass(frozen=True)
class RosterReport:
    context_id: int
    added: int
    updated: int
    inactive: int

    def __str__(self) -> str:
        return (
            f"{self.added} enrolled, {self.updated} already members (roles updated), {self.inactive} inactive left out"
        )


def contexts_of_course(session: Session, *, course_id: int) -> list[LtiContext]:
    """The LMS courses mapped to a tracedojo course (usually one)."""
    return list(
        session.exec(select(LtiContext).where(LtiContext.course_id == course_id).order_by(col(LtiContext.id))).all()
    )


def sync_roster(engine: Engine, http: requests.Session, *, context_id: int) -> RosterReport:
    """Fetch the roster from the platform's membership service and enrol every active member."""
    with Session(engine, expire_on_commit=False) as session:
        context = session.get(LtiContext, context_id)
        if context is None or context.course_id is None:
            raise RosterError(f"no LMS course {context_id}")
        course = session.get(Course, context.course_id)
        platform = session.get(LtiPlatform, context.platform_id)
        assert course is not None and platform is not None and platform.id is not None
        if not context.memberships_url:
            raise RosterError(
                f"the LMS has not offered its roster for {context.title!r}: enable Names and Role Provisioning "
                "for tracedojo in the LMS, then launch a link once"
            )
        service = NamesRolesProvisioningService(
            ToolServiceConnector(registration_of(session, platform), http),
            {"context_memberships_url": context.memberships_url},
        )
        try:
            members = service.get_members()
        except LtiServiceException as exc:
            _note(session, context, f"failed: the LMS answered HTTP {exc.response.status_code}")
            raise RosterError(f"the LMS refused the roster request (HTTP {exc.response.status_code})") from exc
        except (LtiException, requests.RequestException, ValueError, KeyError) as exc:
            _note(session, context, f"failed: {exc}")
            raise RosterError(f"could not fetch the roster: {exc}") from exc
        added = updated = inactive = 0
        for member in members:
            sub = str(member.get("user_id") or "").strip()
            if not sub:
                continue
            if str(member.get("status") or "Active") != "Active":
                inactive += 1
                continue
            person = LmsPerson(
                sub=sub,
                name=str(member.get("name") or ""),
                given_name=str(member.get("given_name") or ""),
                email=str(member.get("email") or ""),
            )
            _, user = lms_account(session, platform_id=platform.id, person=person)
            assert user.id is not None and course.id is not None
            known = membership(session, course_id=course.id, user_id=user.id) is not None
            enrol_lms_member(session, course=course, user=user, role=course_role(member.get("roles") or []))
            updated += known
            added += not known
        assert context.id is not None
        report = RosterReport(context_id=context.id, added=added, updated=updated, inactive=inactive)
        _note(session, context, str(report))
        return report


def _note(session: Session, context: LtiContext, message: str) -> None:
    context.roster_synced_at, context.roster_message = utcnow(), message[:500]
    session.add(context)
    session.commit()
