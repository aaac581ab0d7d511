"""Creating accounts and checking passwords."""

from __future__ import annotations

from sqlmodel import Session, select

from tracedojo.models import Role, User, UserCreate
from tracedojo.security import hash_password, verify_password


class UsernameTaken(ValueError):
    def __init__(self, username: str) -> None:
        super().__init__(username)
        self.username = username

    def __str__(self) -> str:
        return f"the username {self.username!r} is taken"


def get_user_by_username(session: Session, *, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username.lower())).first()


def create_user(session: Session, *, user_create: UserCreate, role: Role = Role.LEARNER) -> User:
    if get_user_by_username(session, username=user_create.username) is not None:
        raise UsernameTaken(user_create.username)
    user = User(username=user_create.username.lower(), role=role, password_hash=hash_password(user_create.password))
    session.add(user)
    session.commit()
    session.refresh(user)
    return user


def authenticate_user(session: Session, *, username: str, password: str) -> User | None:
    user = get_user_by_username(session, username=username)
    if not verify_password(password, user.password_hash if user else None):
        return None
    return user
