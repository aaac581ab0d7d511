"""The tool's signing keys, kept in the database: the newest active key signs, every active key is published.

Rotation adds a new key and retires all but the one it replaces, which stays published for a while
so that platforms holding a cached JWKS still verify what was signed just before the rotation.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from sqlmodel import Session, col, select

from tracedojo.lti.models import LtiKey
from tracedojo.models import utcnow


def _new_key() -> LtiKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    kid = secrets.token_urlsafe(16)
    jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return LtiKey(kid=kid, private_pem=pem, public_jwk=jwk)


def active_keys(session: Session) -> list[LtiKey]:
    """Active keys, newest first."""
    query = select(LtiKey).where(col(LtiKey.retired_at).is_(None)).order_by(col(LtiKey.id).desc())
    return list(session.exec(query).all())


def signing_key(session: Session) -> LtiKey:
    """The newest active key, made on first use."""
    keys = active_keys(session)
    if keys:
        return keys[0]
    key = _new_key()
    session.add(key)
    session.commit()
    session.refresh(key)
    return key


def rotate(session: Session) -> tuple[LtiKey, list[LtiKey]]:
    """A new signing key; the previous one stays published, older ones are retired. Returns (new, retired)."""
    previous = active_keys(session)
    retired = previous[1:]
    for key in retired:
        key.retired_at = utcnow()
        session.add(key)
    key = _new_key()
    session.add(key)
    session.commit()
    session.refresh(key)
    return key, retired


def jwks(session: Session) -> dict[str, list[dict[str, Any]]]:
    signing_key(session)
    return {"keys": [dict(key.public_jwk) for key in active_keys(session)]}
