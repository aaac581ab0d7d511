"""What a validated launch does in tracedojo: the LMS user gets an account and a course membership with
their role, the LMS course (context) maps to a tracedojo course, and a resource link opens its assignment.

pylti1p3 has checked the launch (signature, issuer, nonce, deployment) before anything here runs; these
functions read its claims, which are therefore the platform's word.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlmodel import Session, select

from tracedojo.assignment_work import ASSIGNABLE_MODES, WRITE
from tracedojo.assignments import create_assignment, find_assignment
from tracedojo.course_models import Assignment, Course, CourseRole
from tracedojo.courses import create_course
from tracedojo.lessons import Catalog
from tracedojo.lti.models import LtiContext, LtiPlatform, LtiResourceLink
from tracedojo.lti.people import LmsPerson, course_role, enrol_lms_member, lms_account
from tracedojo.models import User, utcnow

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
# The custom parameters a deep-linked resource link carries: which lesson it opens, and in which mode
# (none: write, the whole endpoint).
LESSON_PARAMETER = "lesson"
MODE_PARAMETER = "mode"
# An assignment made by a launch is open for a year; the instructor sets real dates on its course page.
DEFAULT_OPEN_DAYS = 365


class LaunchRefused(Exception):
    """A validly signed launch that tracedojo cannot act on; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class LaunchOutcome:
    user: User
    course: Course
    role: CourseRole
    context: LtiContext
    deep_linking: bool
    assignment: Assignment | None = None


def _claim(body: dict[str, Any], name: str) -> dict[str, Any]:
    value = body.get(CLAIM + name)
    return value if isinstance(value, dict) else {}


def _text(value: object, limit: int = 255) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def message_type(body: dict[str, Any]) -> str:
    return _text(body.get(CLAIM + "message_type"))


def lesson_of(body: dict[str, Any]) -> str:
    """The lesson a resource link names: its custom parameter, or ``?lesson=`` on its target link URI."""
    custom = _claim(body, "custom")
    slug = _text(custom.get(LESSON_PARAMETER), 64)
    if not slug:
        target = _text(body.get(CLAIM + "target_link_uri"), 2048)
        slug = (parse_qs(urlsplit(target).query).get(LESSON_PARAMETER) or [""])[0][:64]
    return slug


def mode_of(body: dict[str, Any]) -> str:
    """The mode a resource link names: its custom parameter, or ``?mode=`` on its target link URI; else write."""
    mode = _text(_claim(body, "custom").get(MODE_PARAMETER), 16)
    if not mode:
        target = _text(body.get(CLAIM + "target_link_uri"), 2048)
        mode = (parse_qs(urlsplit(target).query).get(MODE_PARAMETER) or [""])[0][:16]
    return mode or WRITE


def lms_context(
    session: Session, *, platform: LtiPlatform, deployment_id: str, context: dict[str, Any], memberships_url: str
) -> tuple[LtiContext, Course]:
    """The tracedojo course an LMS course maps to, made on its first launch and titled after it."""
    assert platform.id is not None
    context_id = _text(context.get("id"))
    title = _text(context.get("title"), 120) or _text(context.get("label"), 120) or f"LMS course {context_id}"
    row = session.exec(
        select(LtiContext).where(LtiContext.platform_id == platform.id, LtiContext.context_id == context_id)
    ).first()
    course = session.get(Course, row.course_id) if row is not None and row.course_id is not None else None
    if course is None:
        course = create_course(session, title=title)
    if row is None:
        row = LtiContext(platform_id=platform.id, deployment_id=deployment_id, context_id=context_id)
    row.course_id, row.title = course.id, title
    row.memberships_url = memberships_url or row.memberships_url
    session.add(row)
    session.commit()
    session.refresh(row)
    return row, course


def _assignment(session: Session, *, course: Course, slug: str, mode: str) -> Assignment:
    assert course.id is not None
    found = find_assignment(session, course_id=course.id, exercise_slug=slug, mode=mode)
    if found is not None:
        return found
    now = utcnow()
    return create_assignment(
        session,
        course_id=course.id,
        exercise_slug=slug,
        points=10.0,
        release_at=now - timedelta(minutes=1),
        due_at=now + timedelta(days=DEFAULT_OPEN_DAYS),
        mode=mode,
    )


def open_resource_link(
    session: Session, *, context: LtiContext, course: Course, body: dict[str, Any], catalog: Catalog
) -> tuple[LtiResourceLink, Assignment]:
    """The resource link's row (its lesson and line item) and the course's assignment of that lesson in the
    link's mode: made on the link's first launch, the same one on every later launch."""
    assert context.id is not None
    link_id = _text(_claim(body, "resource_link").get("id"))
    if not link_id:
        raise LaunchRefused(400, "LTI launch refused: the launch names no resource link (its resource_link claim).")
    row = session.exec(
        select(LtiResourceLink).where(
            LtiResourceLink.context_id == context.id, LtiResourceLink.resource_link_id == link_id
        )
    ).first()
    slug = lesson_of(body) or (row.exercise_slug if row is not None else "")
    if not slug:
        raise LaunchRefused(
            400,
            "This LMS link names no tracedojo lesson. Ask the instructor to add it again through "
            "tracedojo's lesson picker (deep linking), or to set the custom parameter lesson=<lesson>.",
        )
    if catalog.get(slug) is None:
        raise LaunchRefused(404, f"This LMS link opens the lesson {slug!r}, which this tracedojo does not have.")
    linked = session.get(Assignment, row.assignment_id) if row is not None and row.assignment_id else None
    if row is not None and linked is None:  # only a deletion unlinks a link its first launch linked
        raise LaunchRefused(
            404,
            "The tracedojo assignment this LMS link opened was deleted by the course's instructor; "
            "the lesson is still open for practice. Ask the instructor to add it again if it should be graded.",
        )
    mode = mode_of(body)
    if mode not in ASSIGNABLE_MODES:
        raise LaunchRefused(
            404, f"This LMS link asks for the mode {mode[:16]!r}; tracedojo grades {', '.join(ASSIGNABLE_MODES)}."
        )
    if linked is not None and linked.exercise_slug == slug:
        assignment = linked  # the instructor may have changed its mode or dates since: it is still this link's
    else:
        assignment = _assignment(session, course=course, slug=slug, mode=mode)
    ags = body.get(AGS_CLAIM) if isinstance(body.get(AGS_CLAIM), dict) else {}
    assert isinstance(ags, dict)
    if row is None:
        row = LtiResourceLink(context_id=context.id, resource_link_id=link_id, exercise_slug=slug)
    row.exercise_slug, row.assignment_id = slug, assignment.id
    row.title = _text(_claim(body, "resource_link").get("title")) or row.title
    row.lineitem_url = _text(ags.get("lineitem"), 1024) or row.lineitem_url
    scopes = ags.get("scope")
    if isinstance(scopes, list) and scopes:
        row.ags_scopes = [s for s in scopes if isinstance(s, str)]
    session.add(row)
    session.commit()
    session.refresh(row)
    return row, assignment


def accept_launch(session: Session, *, platform: LtiPlatform, body: dict[str, Any], catalog: Catalog) -> LaunchOutcome:
    """Act on a validated launch: account, course, membership, and for a resource link its assignment."""
    assert platform.id is not None
    kind = message_type(body)
    if kind not in (RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST):
        raise LaunchRefused(400, f"LTI launch refused: tracedojo does not handle {kind or 'untyped'} messages.")
    context_claim = _claim(body, "context")
    if not _text(context_claim.get("id")):
        raise LaunchRefused(
            400, "LTI launch refused: the launch carries no course (context claim); add tracedojo inside a course."
        )
    role = course_role(r for r in body.get(CLAIM + "roles", []) if isinstance(r, str))
    if kind == DEEP_LINKING_REQUEST and not role.staff:
        raise LaunchRefused(403, "Only the course's instructors can pick tracedojo lessons for the LMS.")
    person = LmsPerson(
        sub=_text(body.get("sub")),
        name=_text(body.get("name")),
        given_name=_text(body.get("given_name")),
        email=_text(body.get("email")),
    )
    if not person.sub:
        raise LaunchRefused(400, "LTI launch refused: the launch names no user (its sub claim is empty).")
    nrps = body.get(NRPS_CLAIM) if isinstance(body.get(NRPS_CLAIM), dict) else {}
    assert isinstance(nrps, dict)
    context, course = lms_context(
        session,
        platform=platform,
        deployment_id=_text(body.get(CLAIM + "deployment_id")),
        context=context_claim,
        memberships_url=_text(nrps.get("context_memberships_url"), 1024),
    )
    _, user = lms_account(session, platform_id=platform.id, person=person)
    enrol_lms_member(session, course=course, user=user, role=role)
    if kind == DEEP_LINKING_REQUEST:
        return LaunchOutcome(user=user, course=course, role=role, context=context, deep_linking=True)
    _, assignment = open_resource_link(session, context=context, course=course, body=body, catalog=catalog)
    return LaunchOutcome(
        user=user, course=course, role=role, context=context, deep_linking=False, assignment=assignment
    )
