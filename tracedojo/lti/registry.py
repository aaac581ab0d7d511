"""Platform registrations in the database, and pylti1p3's tool configuration read from them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from pylti1p3.deployment import Deployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config.abstract import ToolConfAbstract
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from tracedojo.lti.keys import jwks, signing_key
from tracedojo.lti.models import LtiDeployment, LtiPlatform, LtiUser

# The registration form's fields, named as register_platform's arguments.
FORM_FIELDS = (
    "title",
    "issuer",
    "client_id",
    "deployment_ids",
    "auth_login_url",
    "auth_token_url",
    "key_set_url",
    "auth_audience",
)


def split_deployments(text: str) -> list[str]:
    """Deployment ids typed in one field: separated by commas, spaces or lines."""
    return [part for part in text.replace(",", " ").split() if part]


class RegistrationError(ValueError):
    """A registration that cannot be stored as given; the message names the field."""


def _url(field: str, value: str) -> str:
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise RegistrationError(f"{field}: {value[:80]!r} is not an http(s) URL")
    if len(value) > 1024:
        raise RegistrationError(f"{field}: is longer than 1024 characters")
    return value


def _short(field: str, value: str) -> str:
    if len(value) > 255:
        raise RegistrationError(f"{field}: is longer than 255 characters")
    return value


def register_platform(
    session: Session,
    *,
    issuer: str,
    client_id: str,
    deployment_ids: Sequence[str],
    auth_login_url: str,
    auth_token_url: str,
    key_set_url: str,
    auth_audience: str | None = None,
    title: str = "",
) -> LtiPlatform:
    """Store (or update) a platform's registration; deployments are added to those already known."""
    issuer, client_id = issuer.strip(), client_id.strip()
    if not issuer:
        raise RegistrationError("issuer: is empty; use the LMS's issuer, e.g. https://canvas.instructure.com")
    if not client_id:
        raise RegistrationError("client id: is empty; copy it from the LMS's developer key or tool registration")
    issuer, client_id = _short("issuer", issuer), _short("client id", client_id)
    deployments = [_short("deployment id", d.strip()) for d in deployment_ids if d.strip()]
    if not deployments:
        raise RegistrationError("deployment id: give at least one (the LMS shows it once the tool is installed)")
    platform = find_platform(session, issuer=issuer, client_id=client_id) or LtiPlatform(
        issuer=issuer, client_id=client_id, auth_login_url="", auth_token_url="", key_set_url=""
    )
    platform.auth_login_url = _url("auth login URL", auth_login_url)
    platform.auth_token_url = _url("auth token URL", auth_token_url)
    platform.key_set_url = _url("key set URL", key_set_url)
    platform.auth_audience = (auth_audience or "").strip() or None
    platform.title = title.strip()[:120] or platform.title
    session.add(platform)
    session.commit()
    session.refresh(platform)
    assert platform.id is not None
    known = {d.deployment_id for d in deployments_of(session, platform_id=platform.id)}
    for deployment_id in deployments:
        if deployment_id not in known:
            session.add(LtiDeployment(platform_id=platform.id, deployment_id=deployment_id))
    session.commit()
    signing_key(session)  # the tool's key exists once anything is registered, so the JWKS is never empty
    return platform


def find_platform(session: Session, *, issuer: str, client_id: str | None) -> LtiPlatform | None:
    query = select(LtiPlatform).where(LtiPlatform.issuer == issuer)
    if client_id is not None:
        query = query.where(LtiPlatform.client_id == client_id)
    found = session.exec(query.order_by(col(LtiPlatform.id))).all()
    # Without a client id (some platforms leave it out of the login request) only a single registration is clear.
    return found[0] if len(found) == 1 else None


def lms_user_of(session: Session, *, issuer: str, client_id: str, sub: str) -> LtiUser | None:
    platform = find_platform(session, issuer=issuer, client_id=client_id)
    if platform is None:
        return None
    return session.exec(select(LtiUser).where(LtiUser.platform_id == platform.id, LtiUser.sub == sub)).first()


def deployments_of(session: Session, *, platform_id: int) -> list[LtiDeployment]:
    return list(session.exec(select(LtiDeployment).where(LtiDeployment.platform_id == platform_id)).all())


def platforms(session: Session) -> list[tuple[LtiPlatform, list[str]]]:
    rows = session.exec(select(LtiPlatform).order_by(col(LtiPlatform.id))).all()
    return [(p, [d.deployment_id for d in deployments_of(session, platform_id=p.id or 0)]) for p in rows]


class ToolRegistration(Registration):
    """A pylti1p3 registration whose tool key (and its kid) come from tracedojo's key table."""

    def __init__(self, platform: LtiPlatform, *, private_pem: str, kid: str, key_set: dict[str, Any]) -> None:
        self.platform_id = platform.id
        self._kid = kid
        self._jwks = key_set
        self.set_issuer(platform.issuer).set_client_id(platform.client_id)
        self.set_auth_login_url(platform.auth_login_url).set_auth_token_url(platform.auth_token_url)
        self.set_key_set_url(platform.key_set_url).set_tool_private_key(private_pem)
        if platform.auth_audience:
            self.set_auth_audience(platform.auth_audience)

    def get_kid(self) -> str | None:
        return self._kid

    def get_jwks(self) -> list[Any]:
        return list(self._jwks["keys"])


def registration_of(session: Session, platform: LtiPlatform) -> ToolRegistration:
    key = signing_key(session)
    return ToolRegistration(platform, private_pem=key.private_pem, kid=key.kid, key_set=jwks(session))


class DatabaseToolConf(ToolConfAbstract[Any]):
    """pylti1p3's tool configuration, looked up in the database on each call (registrations change at run time)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.issuers_relation_types = {}  # an instance's own: every issuer may hold several client ids

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Any:
        return self.find_registration_by_params(iss, None, *args, **kwargs)

    def find_registration_by_params(self, iss: str, client_id: str | None, *args: Any, **kwargs: Any) -> Any:
        with Session(self.engine, expire_on_commit=False) as session:
            platform = find_platform(session, issuer=iss, client_id=client_id or None)
            return registration_of(session, platform) if platform is not None else None

    def find_deployment(self, iss: str, deployment_id: str) -> Deployment | None:
        return self.find_deployment_by_params(iss, deployment_id, None)

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str | None, *args: Any, **kwargs: Any
    ) -> Deployment | None:
        with Session(self.engine) as session:
            platform = find_platform(session, issuer=iss, client_id=client_id or None)
            if platform is None or platform.id is None:
                return None
            known = {d.deployment_id for d in deployments_of(session, platform_id=platform.id)}
        return Deployment().set_deployment_id(deployment_id) if deployment_id in known else None
