from __future__ import annotations

import time

import pytest

from tracedojo.security import (
    RateLimit,
    RateLimited,
    TokenSigner,
    csrf_token,
    csrf_valid,
    hash_password,
    verify_password,
)


def test_passwords_are_argon2_hashed() -> None:
    hashed = hash_password("correct horse")
    assert hashed.startswith("$argon2id$") and "correct horse" not in hashed
    assert verify_password("correct horse", hashed)
    assert not verify_password("wrong horse", hashed)
    assert not verify_password("correct horse", None)


def test_tokens_carry_the_user_and_expire() -> None:
    signer = TokenSigner("k" * 32, max_age=60)
    token = signer.issue(42)
    assert signer.user_id(token) == 42
    assert signer.user_id(token[:-2] + "xx") is None
    assert TokenSigner("other" * 8, max_age=60).user_id(token) is None
    expired = TokenSigner("k" * 32, max_age=1)
    old = expired.issue(7)
    time.sleep(2.1)
    assert expired.user_id(old) is None


def test_csrf_token_is_per_session_and_compared_exactly() -> None:
    session: dict[str, object] = {}
    token = csrf_token(session)
    assert csrf_token(session) == token
    assert csrf_valid(session, token)
    assert not csrf_valid(session, token + "x")
    assert not csrf_valid(session, None)
    assert not csrf_valid({}, token)


def test_rate_limit_per_key() -> None:
    limit = RateLimit("attempts", limit=2, window=60)
    limit.hit("a")
    limit.hit("a")
    limit.hit("b")
    with pytest.raises(RateLimited) as blocked:
        limit.hit("a")
    assert blocked.value.retry_after >= 1
    assert str(blocked.value).startswith("too many attempts; try again in")
    limit.reset("a")
    limit.hit("a")


def test_rate_limit_window_slides() -> None:
    limit = RateLimit("attempts", limit=1, window=0.2)
    limit.hit("a")
    time.sleep(0.25)
    limit.hit("a")
