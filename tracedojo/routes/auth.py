"""Accounts for API clients: register, exchange a password for a bearer token, and revoke it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, Response, status
from pydantic import BaseModel

from tracedojo import login_sessions
from tracedojo.accounts import UsernameTaken, create_user, sign_in_checked
from tracedojo.deps import CurrentUser, PlatformDep, SessionDep, bearer_token, client_key, sign_out_browser
from tracedojo.login_sessions import LoginKind
from tracedojo.models import UserCreate, UserPublic

router = APIRouter(prefix="/api/auth", tags=["auth"])
TOKEN_PATH = "/api/auth/token"


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


@router.post("/register", status_code=status.HTTP_201_CREATED, response_model=UserPublic)
def register(body: UserCreate, request: Request, session: SessionDep, platform: PlatformDep) -> UserPublic:
    """Create a learner account."""
    platform.register_limit.hit(client_key(request))
    try:
        user = create_user(session, user_create=body)
    except UsernameTaken as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    return UserPublic.model_validate(user)


@router.post("/token", response_model=Token)
def token(
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=128)],
    request: Request,
    session: SessionDep,
    platform: PlatformDep,
) -> Token:
    """Exchange a username and password (form fields) for a bearer token (revoked by ``POST /api/auth/logout``)."""
    user = sign_in_checked(
        session,
        username=username,
        password=password,
        address=client_key(request),
        per_username=platform.login_limit,
        per_address=platform.spray_limit,
    )
    if user is None or user.id is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "wrong username or password", headers={"WWW-Authenticate": "Bearer"}
        )
    jti = login_sessions.start(session, user_id=user.id, kind=LoginKind.TOKEN, max_age=platform.tokens.max_age)
    return Token(access_token=platform.tokens.issue(user.id, jti), expires_in=platform.tokens.max_age)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(request: Request, user: CurrentUser, session: SessionDep, platform: PlatformDep) -> Response:
    """End this sign-in on the server: the bearer token sent (or the browser session) answers 401 from now on."""
    token = bearer_token(request)
    claims = platform.tokens.claims(token) if token is not None else None
    if claims is not None:
        login_sessions.revoke(session, claims.jti)
    else:
        sign_out_browser(request, session)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
