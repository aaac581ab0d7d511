"""Passwords (argon2id), API bearer tokens, CSRF tokens for cookie sessions, and rate limits."""

from __future__ import annotations

import hmac
import logging
import math
import secrets
import time
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

log = logging.getLogger("tracedojo.security")

# OWASP's minimum for argon2id (Password Storage Cheat Sheet): 19 MiB, 2 iterations, 1 lane. Hashes
# made with other parameters (pwdlib's heavier default before) still verify and are redone at sign-in.
ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_TIME_COST = 2
ARGON2_PARALLELISM = 1
_hasher = PasswordHash(
    (Argon2Hasher(time_cost=ARGON2_TIME_COST, memory_cost=ARGON2_MEMORY_KIB, parallelism=ARGON2_PARALLELISM),)
)
# Verifying against this keeps a login for an unknown user as slow as for a known one.
_DUMMY_HASH = _hasher.hash("not a real password")

CSRF_SESSION_KEY = "csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    return verify_and_update(password, password_hash)[0]


def verify_and_update(password: str, password_hash: str | None) -> tuple[bool, str | None]:
    """Whether ``password`` matches, and a new hash to store when the stored one used older parameters."""
    if password_hash is None:
        _hasher.verify(password, _DUMMY_HASH)
        return False, None
    try:
        return _hasher.verify_and_update(password, password_hash)
    except Exception:  # not a hash at all (a hand-made row): no password matches it
        _hasher.verify(password, _DUMMY_HASH)
        return False, None


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    jti: str  # the sign-in's secret: its row (``login_sessions``) says whether it was revoked


class TokenSigner:
    """Signed, expiring bearer tokens that carry a user id and their revocable sign-in (``jti``)."""

    def __init__(self, secret_key: str, *, max_age: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="tracedojo.api-token")
        self.max_age = max_age

    def issue(self, user_id: int, jti: str) -> str:
        return self._serializer.dumps({"uid": user_id, "jti": jti})

    def claims(self, token: str) -> TokenClaims | None:
        """The token's claims if its signature holds and it has not expired (revocation is the caller's)."""
        try:
            data: Any = self._serializer.loads(token, max_age=self.max_age)
        except BadSignature:
            return None
        if not isinstance(data, dict):
            return None
        uid, jti = data.get("uid"), data.get("jti")
        if not isinstance(uid, int) or not isinstance(jti, str):
            return None  # a token from before revocable sign-ins: sign in again
        return TokenClaims(uid, jti)


def csrf_token(session: MutableMapping[str, Any]) -> str:
    """The session's CSRF token, created on first use."""
    token = session.get(CSRF_SESSION_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[CSRF_SESSION_KEY] = token
    return token


def csrf_valid(session: MutableMapping[str, Any], submitted: str | None) -> bool:
    expected = session.get(CSRF_SESSION_KEY)
    return isinstance(expected, str) and submitted is not None and hmac.compare_digest(expected, submitted)


class RateLimited(Exception):
    def __init__(self, what: str, retry_after: int) -> None:
        super().__init__(what, retry_after)
        self.what = what
        self.retry_after = retry_after

    def __str__(self) -> str:
        return f"too many {self.what}; try again in {self.retry_after} s"


def rate_limit_storage(url: str | None) -> Storage:
    """Where rate limits count: Redis when a URL is given (shared by every web process), else this process."""
    if url is None:
        return MemoryStorage()
    storage = storage_from_string(url)
    assert isinstance(storage, Storage)  # a synchronous one: redis://, not async+redis://
    return storage


class RateLimit:
    """At most ``limit`` events per ``window`` seconds for each key (a moving window, through ``limits``).

    With Redis storage every web process counts in the same window. If the storage cannot be reached the
    event is let through with a warning: an outage of Redis must not lock everyone out.
    """

    def __init__(
        self, what: str, *, limit: int, window: int = 60, storage: Storage | None = None, namespace: str = "tracedojo"
    ) -> None:
        self.what = what
        self.limit = limit
        self.window = window
        self._limiter = MovingWindowRateLimiter(storage if storage is not None else MemoryStorage())
        slug = "-".join(what.split())
        self._item = RateLimitItemPerSecond(limit, window, namespace=f"{namespace}:{slug}")

    def hit(self, key: str) -> None:
        """Count one event for ``key``; raises ``RateLimited`` when the window is already full."""
        try:
            allowed = self._limiter.hit(self._item, key)
        except Exception as exc:
            log.warning("rate limit %r not checked (its storage failed): %s", self.what, exc)
            return
        if not allowed:
            raise RateLimited(self.what, self._retry_after(key))

    def check(self, key: str) -> None:
        """Raise ``RateLimited`` if the window is full, counting nothing (see ``hit``)."""
        try:
            allowed = self._limiter.test(self._item, key)
        except Exception as exc:
            log.warning("rate limit %r not checked (its storage failed): %s", self.what, exc)
            return
        if not allowed:
            raise RateLimited(self.what, self._retry_after(key))

    def reset(self, key: str) -> None:
        try:
            self._limiter.clear(self._item, key)
        except Exception as exc:
            log.warning("rate limit %r not reset (its storage failed): %s", self.what, exc)

    def _retry_after(self, key: str) -> int:
        try:
            reset_at = self._limiter.get_window_stats(self._item, key).reset_time
        except Exception:
            return self.window
        return max(1, math.ceil(reset_at - time.time()))


def secret_entropy_bits(secret: str) -> float:
    """A generous estimate of a key's randomness: its length times the Shannon entropy of its characters.

    16 x "a" has none; a repeated word little; ``secrets.token_urlsafe(32)`` (43 characters) about 220 bits.
    """
    if not secret:
        return 0.0
    counts: dict[str, int] = {}
    for char in secret:
        counts[char] = counts.get(char, 0) + 1
    per_char = -sum(n / len(secret) * math.log2(n / len(secret)) for n in counts.values())
    return per_char * len(secret)
