"""Accounts for API clients: register, and exchange a password for a bearer token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, status
from pydantic import BaseModel

from tracedojo.accounts import UsernameTaken, authenticate_user, create_user
from tracedojo.deps import PlatformDep, SessionDep, client_key
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
    """Exchange a username and password (form fields) for a bearer token."""
    platform.login_limit.hit(f"{client_key(request)}:{username.lower()}")
    user = authenticate_user(session, username=username, password=password)
    if user is None or user.id is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "wrong username or password", headers={"WWW-Authenticate": "Bearer"}
        )
    return Token(access_token=platform.tokens.issue(user.id), expires_in=platform.tokens.max_age)
