"""Refuse request bodies above a size before any route reads them (uvicorn itself sets no limit)."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

Refusal = Callable[[Request, str], Response]


class BodyLimit:
    """Reads the whole body first (every route here reads it whole anyway), then replays it.

    A body larger than ``limit`` bytes, announced by Content-Length or found while reading
    a chunked one, is answered by ``refuse`` (a 413) and never reaches a route.
    """

    def __init__(self, app: ASGIApp, *, limit: int, refuse: Refusal) -> None:
        self.app = app
        self.limit = limit
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.limit:
            await self._refuse(request, scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left while sending; nobody to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._refuse(request, scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(chunks), receive), send)

    async def _refuse(self, request: Request, scope: Scope, receive: Receive, send: Send) -> None:
        response = self.refuse(request, f"the request body is larger than {self.limit} bytes")
        # The unread rest of the body is not worth waiting for: close the connection after answering.
        response.headers["connection"] = "close"
        await response(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: wait for the disconnect, as the server would say it

    return replay
