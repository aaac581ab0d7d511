"""The bridge: a small ASGI app, driven by Starlette's TestClient, that relays to the sandbox.

Each WebSocket connection the TestClient opens becomes a socket to the
sandboxed child. What comes back is validated (only WebSocket server messages,
bounded size, a strict order of frames) before the TestClient sees it. The
bridge adds two kinds of marker messages: ``tracedojo.wait`` (the child says the
app awaits a message) and ``tracedojo.timeout`` (the runner's deadline passed;
the TestClient has no receive timeout of its own).

What can be trusted. Learner code runs in the same process as the child's relay,
so it can find the connection's socket (by descriptor number, or through ``gc``)
and write frames itself, or take over the relay's objects. Every frame is
therefore the child's *claim*:

* the WebSocket messages (accept, send, close, denial) are exactly what a real
  client would receive from that process, forged or not: they decide verdicts;
* the end of the socket (EOF) and its timing are the kernel's: trusted;
* "wait" (the app awaits a message), "done" (the endpoint returned, or raised
  this error), "vars" (the endpoint's variables) and "route" are unverified
  reports. A wait only counts once the kernel shows the child's event loop idle
  (``Peer`` checks); "done" is taken only as the child's last frame before EOF,
  and any frame after it, a second report, a report counting more messages than
  the bridge delivered, or a frame before the route is a protocol violation
  (the row fails). Variables are only ever displayed.

What remains forgeable: code that takes over the relay completely (closing or
patching it rather than adding frames to it) can claim its endpoint finished
cleanly after the client left, which no client can observe either way.
"""

from __future__ import annotations

import collections
import fcntl
import socket
import termios
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import anyio
from starlette.types import Message, Receive, Scope, Send

from grader import protocol
from grader.sandbox import SandboxedChild

WAIT = "tracedojo.wait"
TIMEOUT = "tracedojo.timeout"
_POLL = 0.02
# What the bridge lets pile up for the runner, unread, before it stops reading the child's socket: the child's
# sends then block, as a real server's do when its client reads slowly. Bounds the grader's memory whatever
# a submission sends (on top of this, at most one frame of ``frame_limit`` bytes).
UNREAD_BYTES = 4 << 20
UNREAD_MESSAGES = 256
# A wait for the same message count is passed on again at most this often: an app calling receive() in a
# tight loop (with a timeout) would otherwise queue waits faster than the runner can read them.
_WAIT_REPEAT = 0.05
# Reports (waits and variables) one connection may send. Each costs the grader's shared event loop a JSON
# parse; an endpoint makes a few per message it handles, and even one polling receive() every millisecond for
# a whole submission stays under this. Past it the connection is ended as a protocol violation.
REPORT_LIMIT = 50_000
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
    delivered: int = 0  # messages the bridge has passed to the child, counting websocket.connect
    taken: int = 0  # the most messages the child has claimed the app took
    route_seen: bool = False
    report_count: int = 0
    numbered: int = 0  # the relay numbers its frames 1, 2, 3...: the last number seen
    client_left: bool = False  # the client sent its close (the bridge passed websocket.disconnect on)
    reported: dict[str, Any] | None = None  # the child's "done" frame, held until its socket ends
    last_wait: tuple[int, float] = (-1, 0.0)  # the latest wait passed on: messages taken, when
    # messages (and their bytes) put into the TestClient's queue, and how many the runner has read
    queued: int = 0
    queued_bytes: int = 0
    read: int = 0
    read_bytes: int = 0
    # For ``Bridge.drained`` (the grader's own bookkeeping): messages the runner has handed the TestClient for
    # this connection and how many of them the bridge has written to the child; the bridge's socket (None once
    # closed); the child's end of it seen closed; bytes read from it but not yet relayed; a frame half received.
    posted: int = 0
    written: int = 0
    unwritable: bool = False
    sock: socket.socket | None = None
    eof: bool = False
    in_hand: bool = False
    partial: bool = False
    done: threading.Event = field(default_factory=threading.Event)
    reports: threading.Condition = field(default_factory=threading.Condition)

    def arm(self, seconds: float) -> int:
        self.armed += 1
        self.deadline = time.monotonic() + seconds
        return self.armed

    def disarm(self) -> None:
        self.deadline = None

    def note_read(self, message: Message) -> None:
        """Called by the runner's side for each message it takes from the TestClient's queue."""
        self.read += 1
        self.read_bytes += message_size(message)

    def backlog(self) -> bool:
        """Whether the runner has enough unread that the bridge should stop reading from the child."""
        return self.queued - self.read >= UNREAD_MESSAGES or self.queued_bytes - self.read_bytes >= UNREAD_BYTES

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
        self.records: list[ConnectionRecord] = []  # every connection of the submission, for ``drained``

    def prepare(self, name: str) -> ConnectionRecord:
        """Called by the runner just before it opens a connection for client ``name``."""
        record = ConnectionRecord(name, source_lines=self.source_lines)
        self._pending.append(record)
        self.records.append(record)
        return record

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "websocket" or not self._pending:
            return
        record = self._pending.popleft()
        sock = self.child.open_connection(_serializable_scope(scope))
        sock.setblocking(False)
        # The raw socket, not an anyio stream: a stream's transport reads ahead into a buffer of its own, and
        # ``drained`` must see every byte the child wrote either in the kernel or in the runner's queue.
        record.sock = sock
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(self._client_to_child, receive, sock, record)
                await self._child_to_client(sock, send, record)
                group.cancel_scope.cancel()
        finally:
            record.sock = None
            record.eof = True
            sock.close()

    def drained(self) -> bool:
        """Nothing is on its way between the grader and the child, on any of this submission's connections:
        no byte the child wrote waits in the kernel or in the bridge's hands, no message the runner sent waits
        to be written to the child. Runs on the grading event loop, between the bridge's awaits, where its
        bookkeeping is whole. (The grader's own state and the kernel's: nothing here is the child's claim.)"""
        if self._pending:
            return False
        for record in self.records:
            if (record.posted != record.written and not record.unwritable) or record.held is not None:
                return False
            if record.eof:
                continue
            if record.sock is None or record.in_hand or record.partial or _unread_bytes(record.sock) != 0:
                return False
        return True

    async def _client_to_child(self, receive: Receive, sock: socket.socket, record: ConnectionRecord) -> None:
        while True:
            message = await receive()
            record.delivered += 1  # before it can be taken: a report counting it may come back at once
            if message["type"] == "websocket.disconnect":
                record.client_left = True
            try:
                await _send_all(sock, protocol.frame({"m": protocol.encode_asgi(message)}))
            except OSError:
                record.unwritable = True  # the child's end is gone: nothing more reaches it
                return
            record.written += 1
            if message["type"] == "websocket.disconnect":
                return

    async def _child_to_client(self, sock: socket.socket, send: Send, record: ConnectionRecord) -> None:
        reader = protocol.FrameReader(self.frame_limit)
        open_ = True

        async def to_client(message: Message) -> None:
            record.queued += 1
            record.queued_bytes += message_size(message)
            await send(message)

        while True:
            data: bytes | None = b""
            if open_ and not record.backlog():
                try:
                    data = sock.recv(65536)  # what is there already, without waiting (or registering to wait)
                except BlockingIOError:
                    with anyio.move_on_after(_POLL):
                        await anyio.wait_readable(sock)
                    data = None  # look again after the deadline checks below
                except OSError:
                    open_ = False
                else:
                    open_ = bool(data)
                if data is None:
                    data = b""
                elif not open_:
                    record.eof = True
                    await self._ended(to_client, record)
            else:
                await anyio.sleep(_POLL)
            if data:
                record.in_hand = True
                try:
                    frames = reader.feed(data)
                    record.partial = reader.pending
                    if not frames:
                        await anyio.lowlevel.checkpoint()  # a frame arriving in pieces does not hog the loop
                    for frame in frames:
                        await self._relay(frame, to_client, record)
                except protocol.ProtocolViolation as exc:
                    record.violation = str(exc)
                    record.done.set()
                    await self._release(to_client, record)
                    await self._finish(to_client, record)
                    open_ = False
                    record.eof = True
                finally:
                    record.in_hand = False
            if record.held is not None and time.monotonic() >= record.held[1]:
                await self._release(to_client, record)
            deadline = record.deadline
            if deadline is not None and time.monotonic() >= deadline:
                record.deadline = None
                await to_client({"type": TIMEOUT, "armed": record.armed})

    async def _ended(self, send: Send, record: ConnectionRecord) -> None:
        """The child's end of the socket is closed (the kernel says so: this part cannot be forged)."""
        if not record.done.is_set():
            report = record.reported
            if report is None:
                record.lost = True  # it ended without the relay's last word: the process died, or was broken
            else:
                error = report.get("error")
                record.error = error if isinstance(error, dict) else None
                if record.accepted and record.closed is None and not record.client_left:
                    # The relay closes an open connection when the endpoint ends (as a server does). A socket
                    # that ends without that close was ended by something else: a client sees it drop.
                    record.violation = (
                        "the connection dropped without a close frame (something other than the grader's "
                        "relay ended it)"
                    )
            record.done.set()
        await self._release(send, record)
        await self._finish(send, record)

    async def _relay(self, frame: dict[str, Any], send: Send, record: ConnectionRecord) -> None:
        kind = frame.get("t")
        number = frame.get("n")
        if type(number) is not int or number != record.numbered + 1:
            raise protocol.ProtocolViolation(
                f"the sandboxed process sent frame number {str(number)[:20]} where {record.numbered + 1} was due "
                "(something other than the grader's relay wrote to its connection)"
            )
        record.numbered = number
        if record.reported is not None:
            # The relay's "done" is its last frame. Anything after it means someone else writes on this socket.
            raise protocol.ProtocolViolation(
                "the sandboxed process kept sending after it reported that your endpoint had finished "
                "(something other than the grader's relay wrote to its connection)"
            )
        if not record.route_seen:
            if kind != "route":
                raise protocol.ProtocolViolation(
                    f"the sandboxed process sent a {str(kind)[:20]!r} frame before the connection was set up "
                    "(something other than the grader's relay wrote to its connection)"
                )
            record.route_seen = True
            matched = frame.get("matched")
            record.route = matched if isinstance(matched, str) else None
            record.route_known = True
            return
        taken = frame.get("taken")
        if taken is not None:
            # After the app closes an accepted connection the child hands it the client's disconnect itself
            # (the reply a client's close would bring), one message the bridge never delivered.
            limit = record.delivered + (1 if record.accepted and record.closed is not None else 0)
            if type(taken) is not int or not 0 <= taken <= limit:
                raise protocol.ProtocolViolation(
                    f"the sandboxed process claimed your endpoint took {str(taken)[:20]} messages, but only "
                    f"{record.delivered} were delivered (something other than the grader's relay wrote to its "
                    "connection)"
                )
            record.taken = max(record.taken, taken)
        if kind in ("wait", "vars"):
            record.report_count += 1
            if record.report_count > REPORT_LIMIT:
                raise protocol.ProtocolViolation(
                    f"the sandboxed process sent over {REPORT_LIMIT} reports on one connection (a flood of frames "
                    "from something other than the grader's relay, or a receive() polled in a tight loop)"
                )
        _note_variables(frame, record)
        if kind == "vars":
            return
        if kind == "wait":
            if not isinstance(taken, int):
                raise protocol.ProtocolViolation("a wait frame without a message count")
            await self._wait(taken, send, record)
        elif kind == "send":
            message = protocol.decode_app_message(frame.get("m"))
            automatic = frame.get("auto") is True and message["type"] == "websocket.close"
            await self._forward(message, send, record)
            if automatic and record.closed == (message["code"], message["reason"]):
                record.synthetic_close = True  # only the wording: "your endpoint returned" (unverified)
        elif kind == "done":
            error = frame.get("error")
            if error is not None and not isinstance(error, dict):
                raise protocol.ProtocolViolation("a malformed report of how the endpoint ended")
            record.reported = {"error": error}  # taken only if the socket ends next (see _ended)
        else:
            raise protocol.ProtocolViolation(f"unknown frame {str(kind)[:20]!r}")

    async def _wait(self, taken: int, send: Send, record: ConnectionRecord) -> None:
        if not record.accepted or record.closed is not None:
            return
        now = time.monotonic()
        last_taken, last_time = record.last_wait
        if taken == last_taken and now - last_time < _WAIT_REPEAT:
            return  # the same wait again, soon after: the runner has heard it
        record.last_wait = (taken, now)
        await send({"type": WAIT, "taken": taken})

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


async def _send_all(sock: socket.socket, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            view = view[sock.send(view) :]
        except BlockingIOError:
            await anyio.wait_writable(sock)


def _unread_bytes(sock: socket.socket) -> int:
    """Bytes waiting in the kernel to be read from ``sock`` (-1 if it cannot say)."""
    try:
        return int.from_bytes(fcntl.ioctl(sock.fileno(), termios.FIONREAD, bytes(4)), "little", signed=True)
    except (OSError, ValueError):
        return -1


def message_size(message: Message) -> int:
    """Roughly what a message held in the TestClient's queue costs, for the backlog bound."""
    payload = message.get("text") or message.get("bytes") or message.get("body") or message.get("reason") or ""
    return 64 + len(payload)


def _note_variables(frame: dict[str, Any], record: ConnectionRecord) -> None:
    """Keep the newest report of the endpoint's variables. Unverified: learner code can forge frames, so
    everything is checked and cut to size; a forgery can only change what is displayed, and how long a row
    waits for it (never longer than the row's own deadline)."""
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
