"""Request dependencies: the platform, a database session, the signed-in user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from sqlmodel import Session
from starlette.requests import HTTPConnection

from tracedojo.models import User
from tracedojo.platform_state import Platform
from tracedojo.security import CSRF_HEADER, csrf_valid

SESSION_USER_KEY = "uid"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def get_platform(connection: HTTPConnection) -> Platform:
    platform: Platform = connection.app.state.platform
    return platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


def get_session(platform: PlatformDep) -> Iterator[Session]:
    with Session(platform.engine, expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def _bearer(connection: HTTPConnection) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token:
        return token.strip()
    if connection.scope["type"] == "websocket":
        return connection.query_params.get("token")
    return None


def authenticate(connection: HTTPConnection, session: Session, platform: Platform) -> tuple[User | None, str]:
    """The user behind a request or WebSocket and how they proved it: 'bearer', 'cookie' or ''."""
    token = _bearer(connection)
    if token is not None:
        uid = platform.tokens.user_id(token)
        user = session.get(User, uid) if uid is not None else None
        return user, "bearer" if user else ""
    uid = connection.session.get(SESSION_USER_KEY) if "session" in connection.scope else None
    if isinstance(uid, int):
        user = session.get(User, uid)
        if user is not None:
            return user, "cookie"
    return None, ""


def optional_user(connection: HTTPConnection, session: SessionDep, platform: PlatformDep) -> User | None:
    return authenticate(connection, session, platform)[0]


OptionalUser = Annotated[User | None, Depends(optional_user)]


def current_user(request: Request, session: SessionDep, platform: PlatformDep) -> User:
    user, via = authenticate(request, session, platform)
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "not signed in: send 'Authorization: Bearer <token>' (POST /api/auth/token) or sign in",
            headers={"WWW-Authenticate": "Bearer"},
        )
    # A cookie is sent by the browser on its own, so changes made with one need the CSRF token too.
    if (
        via == "cookie"
        and request.method not in _SAFE_METHODS
        and not csrf_valid(request.session, request.headers.get(CSRF_HEADER))
    ):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"missing or wrong {CSRF_HEADER} header")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def instructor_only(user: CurrentUser) -> User:
    if not user.is_instructor:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "instructors only")
    return user


InstructorOnly = Annotated[User, Depends(instructor_only)]
