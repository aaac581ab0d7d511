"""The thin FastAPI adapter pylti1p3 lacks: request, cookies, session, redirect and launch-data storage.

pylti1p3 is synchronous (it fetches keys and calls services with ``requests``), so routes read the
form first and run these classes in a worker thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, ClassVar, Literal

import requests
from fastapi.responses import RedirectResponse, Response
from pylti1p3.cookie import CookieService
from pylti1p3.launch_data_storage.base import LaunchDataStorage
from pylti1p3.message_launch import MessageLaunch
from pylti1p3.oidc_login import OIDCLogin
from pylti1p3.redirect import Redirect
from pylti1p3.request import Request
from pylti1p3.service_connector import ServiceConnector
from pylti1p3.session import SessionService
from sqlalchemy import Engine, delete
from sqlmodel import Session, col

from tracedojo.lti.models import LtiLaunchData
from tracedojo.lti.registry import DatabaseToolConf
from tracedojo.models import utcnow

# Calls to a platform (its key set, token endpoint, roster and scores) give up after this long, so a
# platform that hangs cannot hold a launch or a grading thread.
PLATFORM_TIMEOUT = 10.0


@dataclass
class LtiRequest(Request):
    """What pylti1p3 reads from a request: its parameters (query and form), cookies and scheme."""

    params: Mapping[str, str]
    cookies: Mapping[str, str]
    secure: bool
    session_data: MutableMapping[str, Any] = field(default_factory=dict)

    @property
    def session(self) -> MutableMapping[str, Any]:
        return self.session_data

    def is_secure(self) -> bool:
        return self.secure

    def get_param(self, key: str) -> str:
        return self.params.get(key, "")


class LtiCookies(CookieService):
    """Cookies pylti1p3 reads from the request, and the ones it sets, applied to the response afterwards."""

    def __init__(self, request: LtiRequest) -> None:
        self.request = request
        self.pending: list[tuple[str, str, int | None]] = []

    def _name(self, name: str) -> str:
        return f"{self._cookie_prefix}-{name}"

    def get_cookie(self, name: str) -> str | None:
        return self.request.cookies.get(self._name(name))

    def set_cookie(self, name: str, value: str | int, exp: int | None = 3600) -> None:
        self.pending.append((self._name(name), str(value), exp))

    def apply(self, response: Response) -> Response:
        # The launch arrives as a cross-site form post from the LMS: over HTTPS the state cookie must be
        # SameSite=None to come along; plain HTTP (local trials only) cannot use None, so Lax.
        same_site: Literal["none", "lax"] = "none" if self.request.secure else "lax"
        for name, value, exp in self.pending:
            response.set_cookie(
                name, value, max_age=exp, path="/", secure=self.request.secure, httponly=True, samesite=same_site
            )
        return response


class DatabaseLaunchData(LaunchDataStorage[Any]):
    """Nonces, OIDC state and validated launches in the ``lti_launch_data`` table, each with an expiry.

    Keys are not tied to a session cookie: they embed random nonces, states and launch ids, and the
    launch itself is tied to the browser by the state cookie."""

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine

    def get_session_cookie_name(self) -> str | None:
        return None

    def can_set_keys_expiration(self) -> bool:
        return True

    def get_value(self, key: str) -> Any:
        with Session(self.engine) as session:
            row = session.get(LtiLaunchData, self._prepare_key(key))
            if row is None or _expired(row):
                return None
            return row.value

    def set_value(self, key: str, value: Any, exp: int | None = None) -> None:
        with Session(self.engine) as session:
            session.merge(
                LtiLaunchData(
                    key=self._prepare_key(key), value=value, expires_at=utcnow() + timedelta(seconds=exp or 86400)
                )
            )
            session.exec(delete(LtiLaunchData).where(col(LtiLaunchData.expires_at) < utcnow()))
            session.commit()

    def check_value(self, key: str) -> bool:
        return self.get_value(key) is not None

    def consume(self, key: str) -> bool:
        """Delete the key; True when it was there and unexpired (exactly one caller ever gets True)."""
        with Session(self.engine) as session:
            result = session.exec(
                delete(LtiLaunchData).where(
                    col(LtiLaunchData.key) == self._prepare_key(key), col(LtiLaunchData.expires_at) >= utcnow()
                )
            )
            session.commit()
            return bool(result.rowcount == 1)


def _expired(row: LtiLaunchData) -> bool:
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=utcnow().tzinfo)
    return expires < utcnow()


class LtiSessionService(SessionService):
    """pylti1p3's session service over the database storage, with single-use nonces.

    pylti1p3 only checks that a nonce was issued; consuming it here is what refuses a replayed launch."""

    def __init__(self, request: LtiRequest, storage: DatabaseLaunchData) -> None:
        super().__init__(request)
        self.storage = storage
        storage.set_request(request)
        self.set_data_storage(storage)

    def check_nonce(self, nonce: str) -> bool:
        return self.storage.consume(self._get_key("nonce", nonce))


class LtiRedirect(Redirect[Response]):
    def __init__(self, location: str, cookies: LtiCookies) -> None:
        self.location = location
        self.cookies = cookies

    def do_redirect(self) -> Response:
        return self.cookies.apply(RedirectResponse(self.location, status_code=302))

    def do_js_redirect(self) -> Response:
        return self.do_redirect()  # the pages' policy allows no inline script, and a 302 does the same

    def set_redirect_url(self, location: str) -> None:
        self.location = location

    def get_redirect_url(self) -> str:
        return self.location


class ToolLogin(OIDCLogin[LtiRequest, DatabaseToolConf, LtiSessionService, LtiCookies, Response]):
    def get_redirect(self, url: str) -> Redirect[Response]:
        return LtiRedirect(url, self._cookie_service)


class ToolLaunch(MessageLaunch[LtiRequest, DatabaseToolConf, LtiSessionService, LtiCookies]):
    def _get_request_param(self, key: str) -> str:
        return self._request.get_param(key)


class PlatformHttp(requests.Session):
    """requests with a timeout on every call (pylti1p3 passes none)."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", PLATFORM_TIMEOUT)
        method = method if isinstance(method, str) else method.decode()
        return super().request(method, url if isinstance(url, str) else url.decode(), *args, **kwargs)


class ToolServiceConnector(ServiceConnector):
    """pylti1p3's service connector with its access tokens cached in this process until shortly before expiry."""

    _tokens: ClassVar[dict[str, tuple[str, float]]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def _get_cached_access_token(self, scope_key: str) -> str | None:
        with self._lock:
            held = self._tokens.get(self._cache_key(scope_key))
        return held[0] if held and held[1] > time.monotonic() else None

    def _cache_access_token(self, scope_key: str, access_token: str, expires_in: float) -> None:
        if expires_in and float(expires_in) > 30:
            with self._lock:
                self._tokens[self._cache_key(scope_key)] = (access_token, time.monotonic() + float(expires_in) - 30)

    def _cache_key(self, scope_key: str) -> str:
        # With the signing key's id: after a rotation the next request proves the new key to the platform.
        return f"{self._registration.get_client_id()}|{self._registration.get_kid()}|{scope_key}"


@dataclass
class LtiTool:
    """Everything one LTI request needs, built per request."""

    engine: Engine
    request: LtiRequest
    conf: DatabaseToolConf = field(init=False)
    cookies: LtiCookies = field(init=False)
    storage: DatabaseLaunchData = field(init=False)
    sessions: LtiSessionService = field(init=False)

    def __post_init__(self) -> None:
        self.conf = DatabaseToolConf(self.engine)
        self.cookies = LtiCookies(self.request)
        self.storage = DatabaseLaunchData(self.engine)
        self.sessions = LtiSessionService(self.request, self.storage)

    def login(self) -> ToolLogin:
        return ToolLogin(self.request, self.conf, session_service=self.sessions, cookie_service=self.cookies)

    def launch(self, http: requests.Session) -> ToolLaunch:
        return ToolLaunch(
            self.request,
            self.conf,
            session_service=self.sessions,
            cookie_service=self.cookies,
            requests_session=http,
            service_connector_cls=ToolServiceConnector,
        )

    def restored(self, launch_id: str, http: requests.Session) -> ToolLaunch:
        launch = ToolLaunch.from_cache(
            launch_id,
            self.request,
            self.conf,
            session_service=self.sessions,
            cookie_service=self.cookies,
            requests_session=http,
            service_connector_cls=ToolServiceConnector,
        )
        assert isinstance(launch, ToolLaunch)
        return launch
