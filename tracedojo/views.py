"""Rendering the HTML pages: the templates, ``render``, the error page and the sign-in redirect.

Route modules render through here; the app's exception handlers use ``wants_html`` and ``error_page``
so that a person following a link gets a page, and an API client gets JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from fastapi import Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from tracedojo.deps import SignInFirst, authenticate
from tracedojo.highlighting import highlight_code
from tracedojo.models import User
from tracedojo.platform_state import Platform
from tracedojo.security import CSRF_FIELD, csrf_token
from tracedojo.settings import PROJECT_ROOT

templates = Jinja2Templates(directory=PROJECT_ROOT / "templates")
templates.env.globals["highlight"] = highlight_code

STATUS_LABELS = {
    "queued": "Queued",
    "running": "Grading…",
    "passed": "Passed",
    "failed": "Failed",
    "error": "Error",
    "timeout": "Timed out",
    "skipped": "Skipped",
    "pending": "Waiting",
}
templates.env.globals["status_label"] = lambda s: STATUS_LABELS.get(str(s), str(s))


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith(("/api/", "/static/"))


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    user: User | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    base = {"user": user, "csrf": csrf_token(request.session), "csrf_field": CSRF_FIELD}
    return templates.TemplateResponse(
        request, template, {**base, **(context or {})}, status_code=status_code, headers=dict(headers or {})
    )


# Starlette's and FastAPI's generic details, in words for someone who typed or followed a link.
_GENERIC_DETAILS = {
    "Not Found": "There is no page at {path}.",
    "Method Not Allowed": "{path} cannot be opened like this; use the links and buttons on the pages.",
}


def error_page(
    request: Request, status_code: int, message: str, headers: Mapping[str, str] | None = None
) -> HTMLResponse:
    if message in _GENERIC_DETAILS:
        message = _GENERIC_DETAILS[message].format(path=request.url.path)
    return render(
        request,
        "error.html",
        {"status": status_code, "message": message},
        user=_signed_in(request),
        status_code=status_code,
        headers=headers,
    )


def _signed_in(request: Request) -> User | None:
    """Who is signed in, for an error page's header (the route that failed may not have asked)."""
    platform: Platform = request.app.state.platform
    try:
        with Session(platform.engine, expire_on_commit=False) as session:
            return authenticate(request, session, platform)[0]
    except SQLAlchemyError:  # an error page must render even when the database is the problem
        return None


def login_redirect(path: str) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(path)}", status_code=status.HTTP_303_SEE_OTHER)


async def sign_in_first(request: Request, exc: Exception) -> RedirectResponse:
    """The app's handler for ``SignInFirst``: a page for signed-in people sends strangers to sign in."""
    assert isinstance(exc, SignInFirst)
    return login_redirect(exc.path)
