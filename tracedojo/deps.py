"""Request dependencies: the platform, a database session, the signed-in user (API, pages, WebSockets),
checked forms, path parameters and the lookups that answer 404.

Route modules import these and services only; each check is written once here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Path, Query, Request, WebSocket, status
from sqlmodel import Session, col, select
from starlette.requests import HTTPConnection

from grader import Exercise
from tracedojo import login_sessions
from tracedojo.gradebook import SORT_KEYS, GradebookFilter, Progress
from tracedojo.login_sessions import LoginKind
from tracedojo.models import MAX_ID, Submission, User
from tracedojo.platform_state import Platform
from tracedojo.security import CSRF_FIELD, CSRF_HEADER, csrf_token, csrf_valid

SESSION_KEY = "sid"  # the browser's sign-in secret (``login_sessions``), inside the signed session cookie
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

# WebSocket close codes: 4000 + the HTTP status a request would have got.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404

Slug = Path(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)
SubmissionId = Annotated[int, Path(ge=1, le=MAX_ID, description="a submission's id")]
UserId = Annotated[int, Path(ge=1, le=MAX_ID, description="a learner's id")]


def get_platform(connection: HTTPConnection) -> Platform:
    platform: Platform = connection.app.state.platform
    return platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


def get_session(platform: PlatformDep) -> Iterator[Session]:
    with Session(platform.engine, expire_on_commit=False) as session:
        yield session


# Closed as soon as the route returns (its connection back in the pool), not after the response is sent.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def release(session: Session) -> None:
    """End a dependency's read-only transaction, so that no connection is held while the request waits for
    a thread to run its route in (under a burst, that wait is where a pool runs dry)."""
    session.commit()


def bearer_token(connection: HTTPConnection) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token:
        return token.strip()
    if connection.scope["type"] == "websocket":
        return connection.query_params.get("token")
    return None


def authenticate(connection: HTTPConnection, session: Session, platform: Platform) -> tuple[User | None, str]:
    """The user behind a request or WebSocket and how they proved it: 'bearer', 'cookie' or ''.

    Either proof names a sign-in row that logging out (or revoking the token) ends on the server."""
    token = bearer_token(connection)
    if token is not None:
        claims = platform.tokens.claims(token)
        user = login_sessions.user_of(session, claims.jti, kind=LoginKind.TOKEN) if claims else None
        if user is None or claims is None or user.id != claims.user_id:
            return None, ""
        return user, "bearer"
    secret = connection.session.get(SESSION_KEY) if "session" in connection.scope else None
    if isinstance(secret, str):
        user = login_sessions.user_of(session, secret, kind=LoginKind.COOKIE)
        if user is not None:
            return user, "cookie"
    return None, ""


def sign_in_browser(request: Request, session: Session, user: User, *, max_age: int) -> None:
    """Start a browser sign-in: a new session (a fresh CSRF token too) holding its secret."""
    assert user.id is not None
    secret = login_sessions.start(session, user_id=user.id, kind=LoginKind.COOKIE, max_age=max_age)
    request.session.clear()
    request.session[SESSION_KEY] = secret
    csrf_token(request.session)


def sign_out_browser(request: Request, session: Session) -> None:
    """End the browser's sign-in on the server (the cookie no longer works, even if kept) and clear it."""
    secret = request.session.get(SESSION_KEY)
    if isinstance(secret, str):
        login_sessions.revoke(session, secret)
    request.session.clear()


def optional_user(connection: HTTPConnection, session: SessionDep, platform: PlatformDep) -> User | None:
    user = authenticate(connection, session, platform)[0]
    release(session)
    return user


OptionalUser = Annotated[User | None, Depends(optional_user)]


def current_user(request: Request, session: SessionDep, platform: PlatformDep) -> User:
    user, via = authenticate(request, session, platform)
    release(session)
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


def client_key(connection: HTTPConnection) -> str:
    """Who to count for a rate limit: the client's address."""
    return connection.client.host if connection.client else "unknown"


# --- Pages ----------------------------------------------------------------------------------------


class SignInFirst(Exception):
    """A page for signed-in people was asked for by a stranger: the app answers with the sign-in page."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def page_user(request: Request, user: OptionalUser) -> User:
    if user is None or user.id is None:
        raise SignInFirst(request.url.path)
    return user


PageUser = Annotated[User, Depends(page_user)]


def instructor_page(request: Request, user: OptionalUser) -> User:
    """The signed-in instructor; strangers are sent to sign in first, learners get 403."""
    if user is None:
        raise SignInFirst(request.url.path)
    if not user.is_instructor:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "These pages are for instructors.")
    return user


InstructorPage = Annotated[User, Depends(instructor_page)]


async def checked_form(request: Request) -> dict[str, str]:
    """A posted form's text fields, once its CSRF token is right."""
    form = await request.form()
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    if not csrf_valid(request.session, fields.get(CSRF_FIELD)):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "This form has expired (missing or wrong CSRF token). Reload the page and try again.",
        )
    return fields


CheckedForm = Annotated[dict[str, str], Depends(checked_form)]


# --- WebSockets -----------------------------------------------------------------------------------


def same_origin(websocket: WebSocket) -> bool:
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser
    return urlsplit(origin).netloc == websocket.headers.get("host", "")


@dataclass(frozen=True)
class Caller:
    """Who opened a WebSocket, or why nobody counts as signed in (the close reason)."""

    user: User | None
    refusal: str = ""


async def websocket_caller(websocket: WebSocket) -> Caller:
    """Who opened the WebSocket. Only looks: the route accepts and closes with ``admit``, after FastAPI has
    validated the path (a bad one is closed with 4422 by the app's handler)."""
    platform = get_platform(websocket)

    def look_up() -> tuple[User | None, str]:
        with Session(platform.engine, expire_on_commit=False) as session:
            return authenticate(websocket, session, platform)

    # In a thread: waiting for a pooled connection on the event loop would stall every request under load.
    user, via = await asyncio.to_thread(look_up)
    if via == "cookie" and not same_origin(websocket):
        # Browsers send the cookie with WebSockets opened by any page: only our own pages may use it.
        return Caller(None, "not signed in: the session cookie only works from this site's pages")
    if user is None:
        return Caller(None, "not signed in: add ?token=<access token> or sign in")
    return Caller(user)


WebSocketCaller = Annotated[Caller, Depends(websocket_caller)]


async def admit(websocket: WebSocket, caller: Caller, *, instructors_only: bool = False) -> User | None:
    """Accept the WebSocket; close it (4401 stranger, 4403 learner where instructors only) and return None
    for whoever may not listen. Accepted first so that the client gets a close code and a reason, not a bare
    HTTP 403."""
    await websocket.accept()
    if caller.user is None:
        await websocket.close(CLOSE_UNAUTHENTICATED, caller.refusal)
        return None
    if instructors_only and not caller.user.is_instructor:
        await websocket.close(CLOSE_FORBIDDEN, "instructors only")
        return None
    return caller.user


# --- Lookups answered as 404 ----------------------------------------------------------------------


def exercise_or_404(platform: Platform, slug: str, *, missing: str | None = None) -> Exercise:
    """The exercise, or a 404 whose detail is ``missing`` (default: "no exercise '<slug>'")."""
    exercise = platform.catalog.get(slug)
    if exercise is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, missing or f"no exercise {slug!r}")
    return exercise


def submission_and_owner_or_404(session: Session, submission_id: int) -> tuple[Submission, User]:
    found = session.exec(
        select(Submission, User)
        .join(User, col(User.id) == col(Submission.user_id))
        .where(Submission.id == submission_id)
    ).first()
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no submission {submission_id}")
    return found


def user_or_404(session: Session, user_id: int) -> User:
    found = session.get(User, user_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no user {user_id}")
    return found


# --- Query parameters -----------------------------------------------------------------------------


def gradebook_filter(
    search: Annotated[str, Query(max_length=64, description="part of a username")] = "",
    exercise: Annotated[str | None, Query(max_length=64, description="judge progress in this exercise only")] = None,
    progress: Annotated[Progress, Query(description="which learners to show")] = Progress.ANY,
    sort: Annotated[str, Query(max_length=64, description=f"{', '.join(SORT_KEYS)} or a slug")] = "username",
    descending: bool = False,
) -> GradebookFilter:
    return GradebookFilter(
        search=search, exercise=exercise or None, progress=progress, sort=sort, descending=descending
    )


GradebookFilterDep = Annotated[GradebookFilter, Depends(gradebook_filter)]
