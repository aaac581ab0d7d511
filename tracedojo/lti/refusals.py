"""pylti1p3's reasons for refusing a login or a launch, in words that say what to do about them."""

from __future__ import annotations

from typing import Any

import jwt

from tracedojo.lti.launches import CLAIM


def unverified_claims(id_token: str) -> dict[str, Any]:
    """The token's claims without checking them: only to name the issuer or deployment in a refusal."""
    try:
        claims = jwt.decode(id_token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
    return claims if isinstance(claims, dict) else {}


def _client_id(claims: dict[str, Any]) -> str:
    aud = claims.get("aud")
    return str(aud[0] if isinstance(aud, list) and aud else aud or "")


def explain_launch(reason: str, id_token: str) -> str:
    """A refused launch: what was wrong and what the LMS's administrator or the user can do."""
    claims = unverified_claims(id_token)
    issuer, client_id = str(claims.get("iss", ""))[:200], _client_id(claims)[:200]
    deployment = str(claims.get(CLAIM + "deployment_id", ""))[:200]
    prefix = "LTI launch refused: "
    if not id_token:
        return prefix + "the request carries no id_token; launches come from the LMS as a form post."
    if "Registration not found" in reason or "Client id not registered" in reason:
        return (
            prefix + f"no platform is registered with issuer {issuer!r} and client id {client_id!r}. "
            "Register it with `tracedojo lti register` or on the LTI platforms page."
        )
    if '"nonce" field is empty' in reason:
        return prefix + "the id_token carries no nonce, so it cannot be told apart from a replayed one."
    if "Invalid Nonce" in reason:
        return prefix + (
            "this launch was used already or its nonce was never issued here (a replayed launch). "
            "Open the link again from the LMS."
        )
    if "expired" in reason.lower():
        return prefix + "the id_token has expired. Open the link again from the LMS (and check the clocks)."
    if "Signature verification failed" in reason or "Unable to find public key" in reason:
        return prefix + (
            f"the id_token's signature does not match the keys published by {issuer!r} "
            "(its key set URL); it was not signed by the registered platform."
        )
    if "deployment ID" in reason:
        return prefix + (
            f"the deployment id {deployment!r} is not registered for {issuer!r}. "
            f"Add it with `tracedojo lti register ... --deployment-id {deployment}`."
        )
    if "State not found" in reason or "Missing state" in reason:
        return prefix + (
            "the login state does not match this browser (its cookie is missing or expired). "
            "Open the link again from the LMS, in a new window if the LMS frames tracedojo."
        )
    return prefix + (reason or "the launch could not be validated") + "."


def explain_login(reason: str, params: dict[str, str]) -> str:
    """A refused OIDC login initiation."""
    prefix = "LTI login refused: "
    if "issuer" in reason:
        return prefix + "the request names no issuer (iss); the LMS starts the login with iss and login_hint."
    if "login hint" in reason:
        return prefix + "the request has no login_hint; the LMS starts the login with iss and login_hint."
    if "registration" in reason:
        issuer, client = params.get("iss", "")[:200], params.get("client_id", "")[:200]
        return prefix + (
            f"no platform is registered with issuer {issuer!r}"
            + (f" and client id {client!r}" if client else "")
            + ". Register it with `tracedojo lti register` or on the LTI platforms page."
        )
    return prefix + (reason or "the login could not be started") + "."
