"""Creating accounts and checking passwords."""

from __future__ import annotations

from sqlmodel import Session, select

from tracedojo.models import Role, User, UserCreate
from tracedojo.security import RateLimit, hash_password, verify_and_update


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
    """The user if the password is theirs; a hash made with older parameters is redone on the way."""
    user = get_user_by_username(session, username=username)
    session.commit()  # no connection is held through the hash (hundreds of sign-ins may arrive at once)
    matches, new_hash = verify_and_update(password, user.password_hash if user else None)
    if not matches or user is None:
        return None
    if new_hash is not None:
        user.password_hash = new_hash
        session.add(user)
        session.commit()
    return user


def sign_in_checked(
    session: Session, *, username: str, password: str, address: str, per_username: RateLimit, per_address: RateLimit
) -> User | None:
    """``authenticate_user`` behind two rate limits: attempts per address and username (guessing one
    account), and failed attempts per address whatever the username (spraying a password over many)."""
    per_username.hit(f"{address}:{username.lower()}")
    per_address.check(address)
    user = authenticate_user(session, username=username, password=password)
    if user is None:
        per_address.hit(address)
    return user
