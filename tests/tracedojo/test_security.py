from __future__ import annotations

import secrets
import time

import pytest
from argon2 import PasswordHasher

from tracedojo.security import (
    RateLimit,
    RateLimited,
    TokenClaims,
    TokenSigner,
    csrf_token,
    csrf_valid,
    hash_password,
    secret_entropy_bits,
    verify_and_update,
    verify_password,
)


def test_passwords_are_argon2_hashed() -> None:
    hashed = hash_password("correct horse")
    assert hashed.startswith("$argon2id$") and "correct horse" not in hashed
    assert verify_password("correct horse", hashed)
    assert not verify_password("wrong horse", hashed)
    assert not verify_password("correct horse", None)


def test_tokens_carry_the_user_and_their_sign_in_and_expire() -> None:
    signer = TokenSigner("k" * 32, max_age=60)
    token = signer.issue(42, "jti-1")
    assert signer.claims(token) == TokenClaims(42, "jti-1")
    assert signer.claims(token[:-2] + "xx") is None
    assert TokenSigner("other" * 8, max_age=60).claims(token) is None
    expired = TokenSigner("k" * 32, max_age=1)
    old = expired.issue(7, "jti-2")
    time.sleep(2.1)
    assert expired.claims(old) is None


def test_a_token_from_before_revocable_sign_ins_is_refused() -> None:
    from itsdangerous import URLSafeTimedSerializer

    old = URLSafeTimedSerializer("k" * 32, salt="tracedojo.api-token").dumps({"uid": 42})
    assert TokenSigner("k" * 32, max_age=60).claims(old) is None


def test_argon2id_at_the_owasp_minimum_and_older_hashes_are_redone() -> None:
    hashed = hash_password("correct horse")
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert verify_and_update("correct horse", hashed) == (True, None)
    heavier = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4).hash("correct horse")
    matches, new_hash = verify_and_update("correct horse", heavier)
    assert matches and new_hash is not None and new_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert verify_and_update("wrong horse", heavier) == (False, None)
    assert verify_and_update("correct horse", "not a hash") == (False, None)


def test_secret_entropy_estimate() -> None:
    assert secret_entropy_bits("a" * 16) == 0
    assert secret_entropy_bits("abcd" * 8) == 64
    assert secret_entropy_bits(secrets.token_urlsafe(32)) > 150


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
    limit = RateLimit("attempts", limit=1, window=1)
    limit.hit("a")
    with pytest.raises(RateLimited):
        limit.hit("a")
    time.sleep(1.1)
    limit.hit("a")


def test_check_counts_nothing() -> None:
    limit = RateLimit("failed sign-ins", limit=1, window=60)
    limit.check("a")
    limit.check("a")
    limit.hit("a")
    with pytest.raises(RateLimited):
        limit.check("a")
