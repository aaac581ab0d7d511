"""Child side: find the learner's endpoint in their module and mount it in a fresh app.

Runs inside the sandbox. Accepts a FastAPI/Starlette ``app``, an ``APIRouter``
(or Starlette ``Router``), a ``WebSocketEndpoint`` subclass, or a bare endpoint
function; apps and routers keep the paths they declare.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI, WebSocket
from starlette.applications import Starlette
from starlette.endpoints import WebSocketEndpoint
from starlette.routing import Mount, Router, WebSocketRoute, compile_path
from starlette.types import ASGIApp

_ENDPOINT_NAMES = ("websocket_endpoint", "endpoint", "websocket", "ws_endpoint", "ws")


class NoEndpoint(Exception):
    """Nothing in the module looks like a WebSocket endpoint."""


@dataclass
class Mounted:
    app: ASGIApp
    kind: str  # app | router | endpoint_class | function
    name: str
    routes: list[str] = field(default_factory=list)
    _patterns: list[tuple[str, re.Pattern[str]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._patterns = [(path, compile_path(path)[0]) for path in self.routes]

    def route_for(self, path: str) -> str | None:
        return next((route for route, regex in self._patterns if regex.match(path)), None)


def websocket_paths(routes: list[Any], prefix: str = "") -> list[str]:
    """Full paths of every WebSocket route, through mounts and included routers."""
    paths = []
    for route in routes:
        if isinstance(route, Mount):
            paths += websocket_paths(list(route.routes or []), prefix + route.path)
        elif isinstance(route, WebSocketRoute):
            paths.append(prefix + route.path)
        elif hasattr(route, "original_router"):  # FastAPI's included-router wrapper
            context = getattr(route, "include_context", None)
            paths += websocket_paths(list(route.original_router.routes), prefix + getattr(context, "prefix", ""))
    return paths


def _is_websocket_function(obj: Any) -> bool:
    if not inspect.iscoroutinefunction(obj):
        return False
    try:
        parameters = inspect.signature(obj).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.annotation in (WebSocket, "WebSocket") or p.name in ("websocket", "ws") for p in parameters)


def _is_raw_asgi(obj: Any) -> bool:
    if not inspect.iscoroutinefunction(obj):
        return False
    try:
        names = list(inspect.signature(obj).parameters)
    except (TypeError, ValueError):
        return False
    return names == ["scope", "receive", "send"]


def mount(namespace: dict[str, Any], module_name: str, path: str) -> Mounted:
    """Pick the submission's endpoint, preferring a whole app, then a router, class, function."""
    values = [(name, value) for name, value in namespace.items() if not name.startswith("__")]
    apps = [(n, v) for n, v in values if isinstance(v, Starlette)]
    apps.sort(key=lambda item: item[0] != "app")
    for name, app in apps:
        paths = websocket_paths(list(app.routes))
        if paths:
            return Mounted(app, "app", name, paths)
    for name, router in values:
        if isinstance(router, (APIRouter, Router)) and websocket_paths(list(router.routes)):
            if isinstance(router, APIRouter):
                fastapi_app = FastAPI()
                fastapi_app.include_router(router)
                wrapped: Starlette = fastapi_app
            else:
                wrapped = Starlette(routes=list(router.routes))
            return Mounted(wrapped, "router", name, websocket_paths(list(wrapped.routes)))
    classes = [
        (n, v)
        for n, v in values
        if inspect.isclass(v)
        and issubclass(v, WebSocketEndpoint)
        and v is not WebSocketEndpoint
        and v.__module__ == module_name
    ]
    if classes:
        name, cls = classes[-1]
        return Mounted(Starlette(routes=[WebSocketRoute(path, cls)]), "endpoint_class", name, [path])
    functions = [
        (n, v) for n, v in values if _is_websocket_function(v) and getattr(v, "__module__", None) == module_name
    ]
    functions.sort(key=lambda item: item[0] not in _ENDPOINT_NAMES)
    if functions:
        name, function = functions[0]
        app = FastAPI()
        app.add_api_websocket_route(path, function)
        return Mounted(app, "function", name, [path])
    if apps:
        name, app = apps[0]
        return Mounted(app, "app", name, [])
    raw = next((n for n, v in values if _is_raw_asgi(v) and getattr(v, "__module__", None) == module_name), None)
    if raw is not None:
        # Not one of the shapes the course teaches; say so rather than "nothing found".
        raise NoEndpoint(
            f"`{raw}(scope, receive, send)` is a raw ASGI application, which the grader does not run: "
            "write the endpoint with FastAPI or Starlette (an `app` with an @app.websocket route, an APIRouter, "
            "a WebSocketEndpoint class, or an `async def` endpoint taking a `websocket: WebSocket`)"
        )
    raise NoEndpoint(
        "no WebSocket endpoint found: define a FastAPI `app` with an @app.websocket route, "
        "an APIRouter, a WebSocketEndpoint class, or an `async def` endpoint taking a `websocket: WebSocket`"
    )
