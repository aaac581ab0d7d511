"""Revocable sign-ins: a browser session or an API token is a row here, ended by signing out.

The client holds a random secret (in the signed session cookie, or inside the signed bearer token as its
``jti``); the table stores only its SHA-256, so a copy of the database signs nobody in. A sign-in counts
while its row exists, is not revoked and has not expired: logging out or revoking a token ends it on the
server at once, whatever the client still holds.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import String, delete, or_, update
from sqlmodel import Field, Session, SQLModel, col, select

from tracedojo.models import User, utcnow


class LoginKind(StrEnum):
    COOKIE = "cookie"
    TOKEN = "token"


class LoginSession(SQLModel, table=True):
    __tablename__ = "login_session"

    id: str = Field(primary_key=True, max_length=64, description="SHA-256 (hex) of the secret the client holds")
    user_id: int = Field(foreign_key="user.id", index=True)
    kind: LoginKind = Field(sa_type=String(16))
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime = Field(index=True)
    revoked_at: datetime | None = None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def start(session: Session, *, user_id: int, kind: LoginKind, max_age: int) -> str:
    """Store a new sign-in and return the secret its client keeps (committed)."""
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    table = LoginSession.__table__  # type: ignore[attr-defined]
    # The user's ended sign-ins are no longer needed (an unknown secret signs nobody in): the table stays small.
    session.connection().execute(
        delete(table).where(table.c.user_id == user_id, or_(table.c.expires_at < now, table.c.revoked_at.is_not(None)))
    )
    session.add(
        LoginSession(
            id=_digest(secret), user_id=user_id, kind=kind, created_at=now, expires_at=now + timedelta(seconds=max_age)
        )
    )
    session.commit()
    return secret


def user_of(session: Session, secret: str, *, kind: LoginKind) -> User | None:
    """The user a live (unrevoked, unexpired) sign-in belongs to, else None."""
    return session.exec(
        select(User)
        .join(LoginSession, col(LoginSession.user_id) == col(User.id))
        .where(
            LoginSession.id == _digest(secret),
            LoginSession.kind == kind,
            col(LoginSession.revoked_at).is_(None),
            col(LoginSession.expires_at) > utcnow(),
        )
    ).first()


def revoke(session: Session, secret: str) -> bool:
    """End one sign-in; False if it was unknown or already ended (committed)."""
    table = LoginSession.__table__  # type: ignore[attr-defined]
    ended = session.connection().execute(
        update(table).where(table.c.id == _digest(secret), table.c.revoked_at.is_(None)).values(revoked_at=utcnow())
    )
    session.commit()
    return bool(ended.rowcount)


def revoke_all(session: Session, *, user_id: int) -> int:
    """End every sign-in of a user (cookies and tokens); how many were live (committed)."""
    table = LoginSession.__table__  # type: ignore[attr-defined]
    ended = session.connection().execute(
        update(table).where(table.c.user_id == user_id, table.c.revoked_at.is_(None)).values(revoked_at=utcnow())
    )
    session.commit()
    return int(ended.rowcount)
