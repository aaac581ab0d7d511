"""The bridge: a small ASGI app, driven by Starlette's TestClient, that relays to the sandbox.

Each WebSocket connection the TestClient opens becomes a socket to the
sandboxed child. What comes back is validated (only WebSocket server messages,
bounded size) before the TestClient sees it. The bridge adds two kinds of
marker messages the learner's code cannot forge, because the child can only
send validated ASGI messages: ``tracedojo.wait`` (the app awaits a message) and
``tracedojo.timeout`` (the runner's deadline passed; the TestClient has no
receive timeout of its own).
"""

from __future__ import annotations

import collections
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import anyio
from anyio.abc import SocketStream
from starlette.types import Message, Receive, Scope, Send

from grader import protocol
from grader.sandbox import SandboxedChild

WAIT = "tracedojo.wait"
TIMEOUT = "tracedojo.timeout"
_POLL = 0.02
# How long a refusal (a close before accepting) is held back while the endpoint's run ends: the TestClient
# tears the connection down as soon as it hears the close, and a crash right after it would go unreported.
_REFUSAL_HOLD = 0.25


@dataclass
class ConnectionRecord:
    """What the bridge saw of one connection; shared with the runner's thread."""

    name: str
    deadline: float | None = None
    armed: int = 0
    route: str | None = None
    route_known: bool = False
    accepted: bool = False
    closed: tuple[int, str] | None = None
    denied: int | None = None
    synthetic_close: bool = False
    error: dict[str, Any] | None = None
    violation: str | None = None
    lost: bool = False
    held: tuple[Message, float] | None = None  # a refusal waiting for the run to end, and until when
    # The endpoint's variables, for display only (no verdict reads them): when the app last paused (to wait
    # for a message, in some other await, or at its end), and at its latest report of any kind (sends too).
    variables: dict[str, str] = field(default_factory=dict)
    latest_variables: dict[str, str] = field(default_factory=dict)
    # The line of the learner's file where the endpoint last paused (display only), and the file's line count
    # that bounds it: the child reports it, and learner code can forge that report.
    paused_line: int | None = None
    source_lines: int = 0
    settled: int = 0  # messages the app had taken when it last paused
    snapshot: int = 0  # the child's number for the latest report; an older one arriving late is ignored
    done: threading.Event = field(default_factory=threading.Event)
    reports: threading.Condition = field(default_factory=threading.Condition)

    def arm(self, seconds: float) -> int:
        self.armed += 1
        self.deadline = time.monotonic() + seconds
        return self.armed

    def disarm(self) -> None:
        self.deadline = None

    def wait_for_pause(self, taken: int, timeout: float) -> bool:
        """Whether the app has paused after taking ``taken`` messages, waiting up to ``timeout`` for it.

        Stops early when the connection is over (the bridge may be gone, so no report would come).
        """
        end = time.monotonic() + timeout
        with self.reports:
            while self.settled < taken:
                left = end - time.monotonic()
                if left <= 0 or self.done.is_set() or self.closed is not None or self.denied is not None:
                    return False
                self.reports.wait(min(left, _POLL))  # done and closed do not notify: poll them
        return True


class Bridge:
    def __init__(self, child: SandboxedChild, frame_limit: int, source_lines: int = 0) -> None:
        self.child = child
        self.frame_limit = frame_limit
        self.source_lines = source_lines  # lines of the submission, to bound a reported paused line
        self._pending: collections.deque[ConnectionRecord] = collections.deque()

    def prepare(self, name: str) -> ConnectionRecord:
        """Called by the runner just before it opens a connection for client ``name``."""
        record = ConnectionRecord(name, source_lines=self.source_lines)
        self._pending.append(record)
        return record

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "websocket" or not self._pending:
            return
        record = self._pending.popleft()
        sock = self.child.open_connection(_serializable_scope(scope))
        stream = await SocketStream.from_socket(sock)
        async with stream, anyio.create_task_group() as group:
            group.start_soon(self._client_to_child, receive, stream)
            await self._child_to_client(stream, send, record)
            group.cancel_scope.cancel()

    async def _client_to_child(self, receive: Receive, stream: SocketStream) -> None:
        while True:
            message = await receive()
            try:
                await stream.send(protocol.frame({"m": protocol.encode_asgi(message)}))
            except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
                return
            if message["type"] == "websocket.disconnect":
                return

    async def _child_to_client(self, stream: SocketStream, send: Send, record: ConnectionRecord) -> None:
        reader = protocol.FrameReader(self.frame_limit)
        open_ = True
        while True:
            data = b""
            if open_:
                with anyio.move_on_after(_POLL):
                    try:
                        data = await stream.receive(65536)
                    except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
                        open_ = False
                        if not record.done.is_set():
                            record.lost = True
                            record.done.set()
                        await self._release(send, record)
                        await self._finish(send, record)
            else:
                await anyio.sleep(_POLL)
            if data:
                try:
                    for frame in reader.feed(data):
                        await self._relay(frame, send, record)
                except protocol.ProtocolViolation as exc:
                    record.violation = str(exc)
                    record.done.set()
                    await self._release(send, record)
                    await self._finish(send, record)
                    open_ = False
            if record.held is not None and time.monotonic() >= record.held[1]:
                await self._release(send, record)
            deadline = record.deadline
            if deadline is not None and time.monotonic() >= deadline:
                record.deadline = None
                await send({"type": TIMEOUT, "armed": record.armed})

    async def _relay(self, frame: dict[str, Any], send: Send, record: ConnectionRecord) -> None:
        kind = frame.get("t")
        _note_variables(frame, record)
        if kind == "vars":
            return
        if kind == "route":
            matched = frame.get("matched")
            record.route = matched if isinstance(matched, str) else None
            record.route_known = True
        elif kind == "wait":
            taken = frame.get("taken")
            if record.accepted and record.closed is None and isinstance(taken, int):
                await send({"type": WAIT, "taken": taken})
        elif kind == "send":
            message = protocol.decode_app_message(frame.get("m"))
            await self._forward(message, send, record)
        elif kind == "done":
            error = frame.get("error")
            record.error = error if isinstance(error, dict) else None
            record.done.set()
            await self._release(send, record)
            await self._finish(send, record)
        else:
            raise protocol.ProtocolViolation(f"unknown frame {kind!r}")

    async def _forward(self, message: Message, send: Send, record: ConnectionRecord) -> None:
        kind = message["type"]
        if record.closed is not None:
            return  # nothing travels after a close
        if not record.accepted and kind == "websocket.send":
            raise protocol.ProtocolViolation("your endpoint sent a message before accepting the connection")
        if kind == "websocket.accept":
            if record.accepted:
                raise protocol.ProtocolViolation("your endpoint accepted the connection twice")
            record.accepted = True
        elif kind == "websocket.close":
            record.closed = (message["code"], message["reason"])
            if not record.accepted and not record.done.is_set():
                record.held = (message, time.monotonic() + _REFUSAL_HOLD)
                return
        elif kind == "websocket.http.response.start":
            if record.accepted or record.denied is not None:
                raise protocol.ProtocolViolation("a denial response can only replace the handshake")
            record.denied = message["status"]
        await send(message)

    async def _release(self, send: Send, record: ConnectionRecord) -> None:
        if record.held is not None:
            message, _ = record.held
            record.held = None
            await send(message)

    async def _finish(self, send: Send, record: ConnectionRecord) -> None:
        """The endpoint is gone: close the connection as an ASGI server would, if it did not."""
        if record.closed is not None or record.denied is not None:
            return
        if record.error is not None or record.violation or record.lost:
            code = 1011
        else:
            code = 1000 if record.accepted else 1006
        record.closed = (code, "")
        record.synthetic_close = True
        await send({"type": "websocket.close", "code": code, "reason": ""})


def _note_variables(frame: dict[str, Any], record: ConnectionRecord) -> None:
    """Keep the newest report of the endpoint's variables. Learner code can forge frames, so everything is
    checked and cut to size; a forgery can only change what is displayed, and how long a row waits for it."""
    raw, taken, number = frame.get("vars"), frame.get("taken"), frame.get("seq")
    if not isinstance(raw, dict) or type(taken) is not int or type(number) is not int or number <= record.snapshot:
        return
    shown = {k[:40]: v[:160] for k, v in list(raw.items())[:12] if isinstance(k, str) and isinstance(v, str)}
    with record.reports:
        record.snapshot = number
        if shown:  # empty: no frame of theirs seen yet (say, a class endpoint's on_connect is Starlette's)
            record.latest_variables = shown
        if frame.get("paused") is True:
            record.settled = max(record.settled, taken)
            if shown:
                record.variables = shown
            line = frame.get("line")
            record.paused_line = line if type(line) is int and 1 <= line <= record.source_lines else None
        record.reports.notify_all()


async def _lifespan(receive: Receive, send: Send) -> None:
    """The bridge has nothing to start; it answers so one TestClient portal serves every connection."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def _serializable_scope(scope: Scope) -> dict[str, Any]:
    return {
        "path": scope["path"],
        "query_string": scope.get("query_string", b"").decode("latin-1"),
        "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in scope.get("headers", [])],
        "subprotocols": list(scope.get("subprotocols", [])),
    }
