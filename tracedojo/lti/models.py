"""LTI tables: platforms registered with tracedojo, the tool's signing keys, and what launches bring in.

Course ids are plain integers (no foreign key) so that these tables do not depend on the order in
which the courses and LTI migrations are applied.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from tracedojo.models import utcnow


class LtiPlatform(SQLModel, table=True):
    """One registration of tracedojo in an LMS: its issuer, our client id there, and its endpoints."""

    __tablename__ = "lti_platform"
    __table_args__ = (UniqueConstraint("issuer", "client_id", name="uq_lti_platform_client"),)

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(default="", max_length=120)
    issuer: str = Field(index=True, max_length=255)
    client_id: str = Field(max_length=255)
    auth_login_url: str = Field(max_length=1024)
    auth_token_url: str = Field(max_length=1024)
    key_set_url: str = Field(max_length=1024)
    auth_audience: str | None = Field(default=None, max_length=1024)
    created_at: datetime = Field(default_factory=utcnow)


class LtiDeployment(SQLModel, table=True):
    __tablename__ = "lti_deployment"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id", name="uq_lti_deployment"),)

    id: int | None = Field(default=None, primary_key=True)
    platform_id: int = Field(foreign_key="lti_platform.id", index=True)
    deployment_id: str = Field(max_length=255)


class LtiKey(SQLModel, table=True):
    """The tool's RSA keys: the newest active one signs; every active one is published in the JWKS."""

    __tablename__ = "lti_key"

    id: int | None = Field(default=None, primary_key=True)
    kid: str = Field(index=True, unique=True, max_length=64)
    private_pem: str = Field(sa_column=Column(Text, nullable=False))
    public_jwk: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    retired_at: datetime | None = None


class LtiLaunchData(SQLModel, table=True):
    """pylti1p3's launch data storage: nonces, OIDC state and validated launches, each with an expiry."""

    __tablename__ = "lti_launch_data"

    key: str = Field(primary_key=True, max_length=255)
    value: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    expires_at: datetime = Field(index=True)


class LtiUser(SQLModel, table=True):
    """An LMS user (the launch's ``sub`` at a platform) and the tracedojo account made for them."""

    __tablename__ = "lti_user"
    __table_args__ = (UniqueConstraint("platform_id", "sub", name="uq_lti_user"),)

    id: int | None = Field(default=None, primary_key=True)
    platform_id: int = Field(foreign_key="lti_platform.id", index=True)
    sub: str = Field(max_length=255)
    user_id: int = Field(foreign_key="user.id", index=True)
    name: str = Field(default="", max_length=255)
    email: str = Field(default="", max_length=255)


class LtiContext(SQLModel, table=True):
    """An LMS course (the launch's context) and the tracedojo course it maps to."""

    __tablename__ = "lti_context"
    __table_args__ = (UniqueConstraint("platform_id", "context_id", name="uq_lti_context"),)

    id: int | None = Field(default=None, primary_key=True)
    platform_id: int = Field(foreign_key="lti_platform.id", index=True)
    deployment_id: str = Field(max_length=255)
    context_id: str = Field(max_length=255)
    title: str = Field(default="", max_length=255)
    course_id: int | None = Field(default=None, index=True)
    memberships_url: str | None = Field(default=None, max_length=1024)
    roster_synced_at: datetime | None = None
    roster_message: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class LtiResourceLink(SQLModel, table=True):
    """A link placed in the LMS: which lesson it opens and the gradebook column (line item) it feeds."""

    __tablename__ = "lti_resource_link"
    __table_args__ = (UniqueConstraint("context_id", "resource_link_id", name="uq_lti_resource_link"),)

    id: int | None = Field(default=None, primary_key=True)
    context_id: int = Field(foreign_key="lti_context.id", index=True)
    resource_link_id: str = Field(max_length=255)
    title: str = Field(default="", max_length=255)
    exercise_slug: str = Field(index=True, max_length=64)
    assignment_id: int | None = Field(default=None, index=True)
    lineitem_url: str | None = Field(default=None, max_length=1024)
    ags_scopes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, default=list))


class SyncStatus(StrEnum):
    PENDING = "pending"  # a score is waiting to go (first try, or a retry after a failure)
    SENT = "sent"
    FAILED = "failed"  # every retry failed; the instructor can retry


class LtiGradeSync(SQLModel, table=True):
    """One learner's score on one LMS line item: what was last sent, how often it was tried, how it went.

    One row per learner and resource link: each graded submission bumps ``generation``; the row is sent
    again (the best score under the course's policy at that moment) until ``sent_generation`` catches up."""

    __tablename__ = "lti_grade_sync"
    __table_args__ = (UniqueConstraint("resource_link_id", "lti_user_id", name="uq_lti_grade_sync"),)

    id: int | None = Field(default=None, primary_key=True)
    resource_link_id: int = Field(foreign_key="lti_resource_link.id", index=True)
    lti_user_id: int = Field(foreign_key="lti_user.id", index=True)
    status: SyncStatus = Field(default=SyncStatus.PENDING, index=True, sa_type=String(16))
    generation: int = 1
    sent_generation: int = 0
    submission_id: int | None = Field(default=None, foreign_key="submission.id")
    score_given: float | None = None
    score_maximum: float | None = None
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, index=True)
    last_error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    updated_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
