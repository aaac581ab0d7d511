"""LMS people in tracedojo: their roles as course roles, and the platform account each one gets.

Launches and the roster (Names and Role Provisioning) both come here, so a learner enrolled from the
roster and the same learner launching a link later are one account.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session, select

from tracedojo.course_models import Course, CourseRole, Enrolment
from tracedojo.courses import add_member
from tracedojo.lti.models import LtiUser
from tracedojo.models import Role, User
from tracedojo.security import hash_password

_MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership"
_INSTRUCTOR_ROLES = {"Instructor", "Administrator", "ContentDeveloper"}


def course_role(roles: Iterable[str]) -> CourseRole:
    """The course role for an LMS membership: a teaching assistant assists, an instructor (or the course's
    administrator or content developer) instructs, anyone else learns.

    Only context (membership) roles count: an institution-wide "Instructor" is not this course's teacher.
    Both the full URIs of launches and the short names NRPS may send are understood."""
    names: set[str] = set()
    for role in roles:
        role = role.strip()
        if role.startswith(_MEMBERSHIP + "#"):
            names.add(role.removeprefix(_MEMBERSHIP + "#"))
        elif role.startswith(_MEMBERSHIP + "/"):
            names.add(role.removeprefix(_MEMBERSHIP + "/"))  # a sub-role: Instructor#TeachingAssistant
        elif "/" not in role and ":" not in role:
            names.add(role)
    if any(name.endswith("TeachingAssistant") for name in names):
        return CourseRole.ASSISTANT
    if names & _INSTRUCTOR_ROLES:
        return CourseRole.INSTRUCTOR
    return CourseRole.LEARNER


@dataclass(frozen=True)
class LmsPerson:
    """Who the LMS says someone is: its stable id for them (``sub`` / ``user_id``) and what it shares."""

    sub: str
    name: str = ""
    given_name: str = ""
    email: str = ""


def _username(person: LmsPerson, platform_id: int, extra: int = 0) -> str:
    source = person.email.partition("@")[0] or person.given_name or person.name or "lms"
    base = re.sub(r"[^a-z0-9._-]+", "-", source.lower()).strip("._-")[:20] or "lms"
    digest = hashlib.sha256(f"{platform_id}|{person.sub}".encode()).hexdigest()[: 6 + extra]
    return f"{base}-{digest}"


@functools.cache
def _no_password() -> str:
    """LMS accounts sign in through the LMS only: the hash of a random secret nobody ever sees
    (one per process, since hashing is slow by design and a roster may bring hundreds)."""
    return hash_password(secrets.token_urlsafe(32))


def lms_account(session: Session, *, platform_id: int, person: LmsPerson) -> tuple[LtiUser, User]:
    """The tracedojo account of an LMS user, made on first sight; name and email follow the LMS."""
    link = session.exec(select(LtiUser).where(LtiUser.platform_id == platform_id, LtiUser.sub == person.sub)).first()
    if link is not None:
        user = session.get(User, link.user_id)
        assert user is not None
        link.name, link.email = person.name[:255] or link.name, person.email[:255] or link.email
        session.add(link)
        session.commit()
        return link, user
    for extra in range(0, 20, 4):  # a clash of the readable part and 6 hex digits is rare; widen the hash then
        username = _username(person, platform_id, extra)
        if session.exec(select(User.id).where(User.username == username)).first() is None:
            break
    user = User(username=username, role=Role.LEARNER, password_hash=_no_password())
    session.add(user)
    session.flush()
    assert user.id is not None
    link = LtiUser(
        platform_id=platform_id, sub=person.sub[:255], user_id=user.id, name=person.name[:255], email=person.email[:255]
    )
    session.add(link)
    session.commit()
    session.refresh(user)
    session.refresh(link)
    return link, user


def enrol_lms_member(session: Session, *, course: Course, user: User, role: CourseRole) -> None:
    add_member(session, course=course, user=user, role=role, enrolment=Enrolment.LMS)
