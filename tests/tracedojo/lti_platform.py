"""A small but real LTI 1.3 platform (an LMS's side) for the tests, on PyJWT and cryptography.

It serves over HTTP, with uvicorn on a free port, what an LMS serves to a tool: its JWKS, an OIDC
authorization endpoint that answers a login with a signed RS256 id_token (form post), a token endpoint
that grants access tokens for client_credentials JWT assertions it verifies against the tool's JWKS,
a Names and Role Provisioning membership endpoint, line item score endpoints that record what they get,
and a deep-linking return endpoint that verifies the tool's signed response. Nothing is mocked: every
signature on both sides is made and checked with real keys.

``drive_launch`` plays the browser: login initiation at the tool, the platform's auth endpoint, and the
form post of the id_token back to the tool.
"""

from __future__ import annotations

import html
import json
import re
import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2 as httpx
import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from live_server import free_port
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
]
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
TEACHING_ASSISTANT = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"


@dataclass
class SigningKey:
    kid: str
    private: rsa.RSAPrivateKey

    @classmethod
    def new(cls) -> SigningKey:
        return cls(kid=secrets.token_hex(8), private=rsa.generate_private_key(public_exponent=65537, key_size=2048))

    def jwk(self) -> dict[str, Any]:
        key: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(self.private.public_key()))
        key.update({"kid": self.kid, "alg": "RS256", "use": "sig"})
        return key

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.private, algorithm="RS256", headers={"kid": self.kid})


@dataclass
class LmsUser:
    sub: str
    name: str
    email: str
    roles: list[str]


@dataclass
class Message:
    """A launch the platform will send when the tool's login comes back with this message hint."""

    user: LmsUser
    message_type: str = "LtiResourceLinkRequest"
    resource_link_id: str = "link-1"
    custom: dict[str, str] = field(default_factory=dict)
    # Failure cases: claims to replace, or a different signing key.
    overrides: dict[str, Any] = field(default_factory=dict)
    signing_key: SigningKey | None = None


class LtiTestPlatform:
    """The LMS: one course (context), its members, and one line item per resource link."""

    def __init__(self, *, client_id: str = "tracedojo-at-lms", deployment_id: str = "deployment-1") -> None:
        self.key = SigningKey.new()
        self.client_id = client_id
        self.deployment_id = deployment_id
        self.context_id = "course-" + secrets.token_hex(4)
        self.url = ""
        self.tool_url = ""
        self.messages: dict[str, Message] = {}
        self.members: list[dict[str, Any]] = []
        self.scores: list[dict[str, Any]] = []
        self.fail_next_scores = 0
        self.roster_down = False
        self.token_requests: list[dict[str, Any]] = []  # each: the verified assertion's header and claims
        self.tokens: dict[str, list[str]] = {}
        self._assertion_ids: set[str] = set()
        self.deep_link_returns: list[dict[str, Any]] = []
        # The tool's key set as given by its administrator, for a platform talking to no running tool;
        # otherwise it is fetched from the tool's JWKS URL on every check.
        self.tool_key_set: dict[str, Any] | None = None
        self._lock = threading.Lock()
        self.app = Starlette(
            routes=[
                Route("/jwks", self._jwks),
                Route("/auth", self._auth),
                Route("/token", self._token, methods=["POST"]),
                Route("/courses/{context}/memberships", self._memberships),
                Route("/lineitems/{item}/scores", self._score, methods=["POST"]),
                Route("/deep-link-return", self._deep_link_return, methods=["POST"]),
            ]
        )

    @property
    def issuer(self) -> str:
        return self.url

    def lineitem_url(self, resource_link_id: str) -> str:
        return f"{self.url}/lineitems/{resource_link_id}"

    def registration(self) -> dict[str, Any]:
        """What an administrator types into tracedojo (``tracedojo lti register``)."""
        return {
            "issuer": self.issuer,
            "client_id": self.client_id,
            "deployment_ids": [self.deployment_id],
            "auth_login_url": f"{self.url}/auth",
            "auth_token_url": f"{self.url}/token",
            "key_set_url": f"{self.url}/jwks",
        }

    # --- what the platform serves ----------------------------------------------------------------

    async def _jwks(self, request: Request) -> Response:
        return JSONResponse({"keys": [self.key.jwk()]})

    def id_token_claims(self, message: Message, *, nonce: str) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.client_id,
            "azp": self.client_id,
            "sub": message.user.sub,
            "name": message.user.name,
            "email": message.user.email,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            LTI + "deployment_id": self.deployment_id,
            LTI + "message_type": message.message_type,
            LTI + "version": "1.3.0",
            LTI + "roles": message.user.roles,
            LTI + "context": {"id": self.context_id, "title": "Networking 201", "label": "NET201"},
            LTI + "custom": message.custom,
            "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
                "context_memberships_url": f"{self.url}/courses/{self.context_id}/memberships",
                "service_versions": ["2.0"],
            },
        }
        if message.message_type == "LtiResourceLinkRequest":
            claims[LTI + "resource_link"] = {"id": message.resource_link_id, "title": "WebSocket lab"}
            claims[LTI + "target_link_uri"] = f"{self.tool_url}/lti/launch"
            claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"] = {
                "scope": AGS_SCOPES,
                "lineitems": f"{self.url}/lineitems",
                "lineitem": self.lineitem_url(message.resource_link_id),
            }
        else:
            claims[LTI + "target_link_uri"] = f"{self.tool_url}/lti/launch"
            claims["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] = {
                "deep_link_return_url": f"{self.url}/deep-link-return",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["window"],
                "data": "opaque-platform-data",
            }
        claims.update(message.overrides)
        return claims

    async def _auth(self, request: Request) -> Response:
        """The OIDC authorization endpoint: checks the tool's request and answers with the id_token."""
        q = request.query_params
        problems = [
            name
            for name, wanted in (
                ("scope", "openid"),
                ("response_type", "id_token"),
                ("response_mode", "form_post"),
                ("client_id", self.client_id),
                ("prompt", "none"),
            )
            if q.get(name) != wanted
        ]
        if not q.get("redirect_uri", "").startswith(self.tool_url) or not q.get("nonce") or not q.get("state"):
            problems.append("redirect_uri/nonce/state")
        message = self.messages.get(q.get("lti_message_hint", ""))
        if message is None or q.get("login_hint") != message.user.sub:
            problems.append("login_hint/lti_message_hint")
        if problems:
            return JSONResponse({"error": "invalid_request", "fields": problems}, status_code=400)
        assert message is not None
        token = (message.signing_key or self.key).sign(self.id_token_claims(message, nonce=q["nonce"]))
        body = (
            f'<form method="post" action="{html.escape(q["redirect_uri"])}">'
            f'<input type="hidden" name="id_token" value="{html.escape(token)}">'
            f'<input type="hidden" name="state" value="{html.escape(q["state"])}">'
            "<button>Continue to the tool</button></form>"
            "<script>document.forms[0].submit()</script>"  # as an LMS does; a browser without scripts clicks
        )
        return HTMLResponse(body)

    def _tool_keys(self) -> dict[str, Any]:
        if self.tool_key_set is not None:
            return self.tool_key_set
        keys: dict[str, Any] = httpx.get(f"{self.tool_url}/lti/jwks", timeout=10).json()
        return keys

    def verify_tool_jwt(self, token: str, *, audience: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """A JWT the tool signed, checked against the key set the tool publishes right now."""
        header = jwt.get_unverified_header(token)
        for key in self._tool_keys()["keys"]:
            if key["kid"] == header.get("kid"):
                public = RSAAlgorithm.from_jwk(json.dumps(key))
                claims = jwt.decode(token, public, algorithms=["RS256"], audience=audience)  # type: ignore[arg-type]
                return header, claims
        raise jwt.InvalidKeyError(f"the tool publishes no key {header.get('kid')!r}")

    async def _token(self, request: Request) -> Response:
        """client_credentials with a JWT assertion signed by the tool's current key (RFC 7523)."""
        form = await request.form()
        if form.get("grant_type") != "client_credentials" or form.get("client_assertion_type") != (
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        ):
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        try:
            header, claims = self.verify_tool_jwt(str(form.get("client_assertion")), audience=f"{self.url}/token")
        except jwt.PyJWTError as exc:
            return JSONResponse({"error": "invalid_client", "error_description": str(exc)}, status_code=401)
        if claims.get("iss") != self.client_id or claims.get("sub") != self.client_id:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        with self._lock:
            if not claims.get("jti") or claims["jti"] in self._assertion_ids:
                return JSONResponse(
                    {"error": "invalid_grant", "error_description": "assertion replayed"}, status_code=401
                )
            self._assertion_ids.add(claims["jti"])
        scopes = str(form.get("scope", "")).split()
        token = secrets.token_urlsafe(24)
        with self._lock:
            self.tokens[token] = scopes
            self.token_requests.append({"header": header, "claims": claims, "scopes": scopes})
        return JSONResponse(
            {"access_token": token, "token_type": "Bearer", "expires_in": 3600, "scope": " ".join(scopes)}
        )

    def _scopes_of(self, request: Request) -> list[str]:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return self.tokens.get(token, []) if scheme == "Bearer" else []

    async def _memberships(self, request: Request) -> Response:
        if NRPS_SCOPE not in self._scopes_of(request):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        if request.path_params["context"] != self.context_id:
            return JSONResponse({"error": "no such context"}, status_code=404)
        if self.roster_down:
            return JSONResponse({"error": "the roster service is down"}, status_code=503)
        body = {
            "id": str(request.url),
            "context": {"id": self.context_id, "title": "Networking 201"},
            "members": self.members,
        }
        return JSONResponse(body, media_type="application/vnd.ims.lti-nrps.v2.membershipcontainer+json")

    async def _score(self, request: Request) -> Response:
        if AGS_SCOPES[1] not in self._scopes_of(request):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        if request.headers.get("content-type") != "application/vnd.ims.lis.v1.score+json":
            return JSONResponse({"error": "wrong content type"}, status_code=415)
        with self._lock:
            if self.fail_next_scores > 0:
                self.fail_next_scores -= 1
                return JSONResponse({"error": "the gradebook is down"}, status_code=503)
            score = json.loads(await request.body())
            score["lineitem"] = request.path_params["item"]
            self.scores.append(score)
        return Response(status_code=204)

    async def _deep_link_return(self, request: Request) -> Response:
        form = await request.form()
        try:
            _, claims = self.verify_tool_jwt(str(form.get("JWT")), audience=self.issuer)
        except jwt.PyJWTError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        with self._lock:
            self.deep_link_returns.append(claims)
        return HTMLResponse("<p>Link added to the course.</p>")

    # --- serving -------------------------------------------------------------------------------------

    @contextmanager
    def serve(self) -> Iterator[LtiTestPlatform]:
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=port, log_config=None))
        thread = threading.Thread(target=server.run, name="lti-platform", daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the LTI platform did not start"
            time.sleep(0.02)
        self.url = f"http://127.0.0.1:{port}"
        try:
            yield self
        finally:
            server.should_exit = True
            thread.join(10)

    # --- a browser going through a launch -------------------------------------------------------------

    def prepare(self, message: Message) -> str:
        hint = uuid.uuid4().hex
        self.messages[hint] = message
        return hint


@dataclass(frozen=True)
class LaunchForm:
    """The auto-posting form the platform's auth endpoint answered with."""

    action: str
    id_token: str
    state: str


def parse_form(page: str) -> LaunchForm:
    action = re.search(r'action="([^"]+)"', page)
    id_token = re.search(r'name="id_token" value="([^"]+)"', page)
    state = re.search(r'name="state" value="([^"]+)"', page)
    assert action and id_token and state, page
    return LaunchForm(html.unescape(action[1]), html.unescape(id_token[1]), html.unescape(state[1]))


def authorize(browser: httpx.Client, lms: LtiTestPlatform, message: Message) -> LaunchForm:
    """Login initiation at the tool, then the platform's auth endpoint: the form the browser would post."""
    hint = lms.prepare(message)
    started = browser.get(
        f"{lms.tool_url}/lti/login",
        params={
            "iss": lms.issuer,
            "login_hint": message.user.sub,
            "target_link_uri": f"{lms.tool_url}/lti/launch",
            "lti_message_hint": hint,
            "client_id": lms.client_id,
            "lti_deployment_id": lms.deployment_id,
        },
    )
    assert started.status_code == 302, started.text
    location = started.headers["location"]
    assert location.startswith(f"{lms.url}/auth?"), location
    assert parse_qs(urlsplit(location).query)["redirect_uri"] == [f"{lms.tool_url}/lti/launch"]
    answered = browser.get(location)
    assert answered.status_code == 200, answered.text
    return parse_form(answered.text)


def drive_launch(browser: httpx.Client, lms: LtiTestPlatform, message: Message) -> httpx.Response:
    """The whole launch as a browser makes it; returns the tool's answer to the id_token's form post."""
    form = authorize(browser, lms, message)
    return browser.post(form.action, data={"id_token": form.id_token, "state": form.state})
