"""The FastAPI application: ``create_app(settings)``."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, WebSocket, status
from fastapi.exceptions import RequestValidationError, WebSocketRequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tracedojo.body_limit import BodyLimit
from tracedojo.db import migrate
from tracedojo.platform_state import Platform
from tracedojo.security import RateLimited
from tracedojo.settings import Settings

log = logging.getLogger("tracedojo")

STATIC = Path(__file__).resolve().parent / "static"
SESSION_COOKIE = "tracedojo_session"
POOL_RETRY_AFTER = 2

_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        b"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    ),
]


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # A route may set its own (the LTI deep-link return page lets its form post to the LMS).
                own = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (name, value) for name, value in _SECURITY_HEADERS if name not in own
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _field_name(problem: Mapping[str, Any]) -> str:
    if problem.get("type") == "json_invalid":
        return "body"  # its loc ends with the character offset, which is no field
    parts = [str(p) for p in problem.get("loc", ()) if p not in ("body", "path", "query", "header", "cookie")]
    return ".".join(parts) or "body"


def _explain(error: Mapping[str, Any]) -> str:
    """One validation error in words a client can act on (pydantic's own, where they already are)."""
    kind, loc = error.get("type", ""), tuple(error.get("loc", ()))
    body_itself = loc in (("body",), ("body", 0), ("body", 1)) or (loc[:1] == ("body",) and kind == "json_invalid")
    if kind == "json_invalid":
        reason = (error.get("ctx") or {}).get("error", "")
        return f"not valid JSON{f' ({reason})' if reason else ''}; send a JSON object"
    if body_itself and kind == "missing":
        return "missing; send a JSON object with Content-Type: application/json"
    if body_itself and kind in ("model_attributes_type", "dict_type", "model_type"):
        return "expected a JSON object with Content-Type: application/json"
    if kind == "extra_forbidden":
        return "unknown field; this request does not take it"
    return str(error.get("msg", "")).removeprefix("Value error, ")


def _problems(exc: RequestValidationError | WebSocketRequestValidationError) -> list[dict[str, Any]]:
    # Deliberately without the submitted values: they may hold a password.
    return [
        {"loc": list(error.get("loc", ())), "msg": _explain(error), "type": error.get("type", "")}
        for error in exc.errors()
    ]


def validation_message(exc: RequestValidationError | WebSocketRequestValidationError) -> str:
    """Every problem on one line, each naming its field: 'username: ...; password: ...'."""
    return "; ".join(f"{_field_name(p)}: {p['msg']}" for p in _problems(exc))


def _describe_validation(exc: RequestValidationError) -> JSONResponse:
    return JSONResponse(
        {"detail": _problems(exc), "message": validation_message(exc)},
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
    )


# FastAPI's words when a body cannot even be decoded (for example bytes that are not UTF-8).
_UNPARSABLE_BODY = "There was an error parsing the body"
UNPARSABLE_BODY_HELP = "body: could not be read; send UTF-8 JSON with Content-Type: application/json"
CLOSE_INVALID_REQUEST = 4422
_MAX_CLOSE_REASON = 123  # bytes, by RFC 6455


def close_reason(text: str) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= _MAX_CLOSE_REASON:
        return text
    return encoded[: _MAX_CLOSE_REASON - 3].decode("utf-8", "ignore") + "…"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    platform = Platform.build(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        migrate(platform.engine)
        platform.queue.start()
        platform.passback.start()
        log.info("tracedojo ready: %d exercise(s), database %s", len(platform.catalog), platform.engine.url)
        try:
            yield
        finally:
            platform.passback.stop()
            platform.queue.stop()
            platform.engine.dispose()

    app = FastAPI(title="tracedojo", summary="Learn WebSocket endpoints trace by trace", lifespan=lifespan)
    app.state.platform = platform

    from tracedojo import views
    from tracedojo.deps import SignInFirst
    from tracedojo.routes import (
        auth,
        course_pages,
        courses,
        instructor,
        instructor_api,
        learner,
        lti,
        modes,
        pages,
        predict,
        review,
        similarity,
        stepper,
    )

    app.include_router(auth.router)
    app.include_router(learner.router)
    app.include_router(stepper.router)
    app.include_router(instructor_api.router)
    app.include_router(instructor.router)
    app.include_router(pages.router)
    app.include_router(similarity.api)
    app.include_router(similarity.pages)
    app.include_router(courses.router)
    app.include_router(course_pages.router)
    app.include_router(modes.api)
    app.include_router(modes.pages)
    app.include_router(lti.router)
    app.include_router(predict.api)
    app.include_router(predict.pages)
    app.include_router(review.api)
    app.include_router(review.pages)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    app.add_exception_handler(SignInFirst, views.sign_in_first)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        if views.wants_html(request):
            return views.error_page(request, status.HTTP_422_UNPROCESSABLE_CONTENT, validation_message(exc))
        response = _describe_validation(exc)
        if request.url.path == auth.TOKEN_PATH and "json" in request.headers.get("content-type", ""):
            # The most common first mistake with an OAuth2-style token endpoint.
            body = json.loads(bytes(response.body))
            body["message"] += "; this endpoint takes form fields (application/x-www-form-urlencoded), not JSON"
            response = JSONResponse(body, status_code=response.status_code)
        return response

    @app.exception_handler(WebSocketRequestValidationError)
    async def _websocket_validation(websocket: WebSocket, exc: WebSocketRequestValidationError) -> None:
        # Accepted first so that the client gets a close code and a reason, not a bare HTTP 403.
        await websocket.accept()
        await websocket.close(CLOSE_INVALID_REQUEST, close_reason(validation_message(exc)))

    @app.exception_handler(RateLimited)
    async def _rate_limited(request: Request, exc: RateLimited) -> Response:
        headers = {"Retry-After": str(exc.retry_after)}
        if views.wants_html(request):
            return views.error_page(request, status.HTTP_429_TOO_MANY_REQUESTS, str(exc).capitalize() + ".", headers)
        return JSONResponse({"detail": str(exc)}, status_code=status.HTTP_429_TOO_MANY_REQUESTS, headers=headers)

    @app.exception_handler(PoolTimeout)
    async def _pool_exhausted(request: Request, exc: PoolTimeout) -> Response:
        # Every database connection stayed busy for the pool's whole timeout: the server is full, not broken.
        log.warning("database pool exhausted: %s", exc)
        message = "The server is busy; try again in a few seconds."
        headers = {"Retry-After": str(POOL_RETRY_AFTER)}
        if views.wants_html(request):
            return views.error_page(request, status.HTTP_503_SERVICE_UNAVAILABLE, message, headers)
        return JSONResponse({"detail": message}, status_code=status.HTTP_503_SERVICE_UNAVAILABLE, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == status.HTTP_400_BAD_REQUEST and exc.detail == _UNPARSABLE_BODY:
            exc = StarletteHTTPException(exc.status_code, UNPARSABLE_BODY_HELP, exc.headers)
        if views.wants_html(request):
            return views.error_page(request, exc.status_code, str(exc.detail), exc.headers)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    # Inside the session middleware, so that a page refusing a body still knows who is signed in.
    app.add_middleware(BodyLimit, limit=settings.request_body_limit, refuse=_too_large)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_max_age,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    app.add_middleware(SecurityHeaders)
    return app


def _too_large(request: Request, message: str) -> Response:
    from tracedojo import views

    if views.wants_html(request):
        return views.error_page(request, status.HTTP_413_CONTENT_TOO_LARGE, message.capitalize() + ".")
    return JSONResponse({"detail": message}, status_code=status.HTTP_413_CONTENT_TOO_LARGE)
