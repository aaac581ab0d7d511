"""Child side: load the submission and serve the bridge's connections. Runs in the sandbox.

Nothing here knows what the right answers are; it only relays ASGI messages
between the learner's app and per-connection sockets, and reports when the app
awaits a message ("wait") and when its endpoint returns or raises ("done"). Waits,
sends and "vars" frames also carry the endpoint's variables for display
(``grader/variables.py``), numbered by the messages the app had taken then.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import linecache
import os
import socket
import sys
import traceback
import types
from collections.abc import MutableMapping
from typing import Any

from grader import protocol, variables
from grader.messages import ChildFrame, Send, Snapshot, Wait
from grader.mounting import Mounted, NoEndpoint, mount

MODULE_NAME = "submission"


class ClientDisconnected(OSError):
    """What ASGI servers raise (spec 2.4) when the app sends on a connection whose client has closed.

    Starlette turns it into ``WebSocketDisconnect(1006)``, so a broadcast to a departed client fails here
    as it does under uvicorn instead of vanishing silently.
    """


class LoadFailure(Exception):
    def __init__(self, kind: str, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.line = line


def describe_exception(exc: BaseException, filename: str) -> dict[str, Any]:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    text = str(exc)
    code = getattr(exc, "code", None)
    if type(exc).__name__ == "WebSocketDisconnect":
        text = f"code {code}"
        if isinstance(exc.__context__, ClientDisconnected):
            text += f" ({exc.__context__})"
    return {
        "type": type(exc).__name__,
        "message": text[:500],
        "line": frames[-1].lineno if frames else None,
        "source": (frames[-1].line or "")[:200] if frames else "",
    }


# The connection whose endpoint run this task belongs to; tasks the learner starts inherit it. A send on another
# connection (a broadcast) runs on the sender's stack, so its variables are not the receiving endpoint's.
_serving: contextvars.ContextVar[_Connection | None] = contextvars.ContextVar("tracedojo_serving", default=None)


def load_submission(code: str, filename: str, path: str) -> Mounted:
    try:
        compiled = compile(code, filename, "exec", dont_inherit=True)
    except SyntaxError as exc:
        where = f"line {exc.lineno}" if exc.lineno else "an unknown line"
        snippet = f": {exc.text.strip()}" if exc.text and exc.text.strip() else ""
        raise LoadFailure("syntax", f"SyntaxError at {where}: {exc.msg}{snippet}", exc.lineno) from None
    except (ValueError, OverflowError, RecursionError, MemoryError) as exc:
        raise LoadFailure("syntax", f"the code cannot be compiled: {exc}") from None
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    module = types.ModuleType(MODULE_NAME)
    module.__file__ = filename
    sys.modules[MODULE_NAME] = module
    try:
        exec(compiled, module.__dict__)
    except BaseException as exc:
        info = describe_exception(exc, filename)
        where = f" at line {info['line']}" if info["line"] else ""
        raise LoadFailure("import", f"{info['type']}{where} while importing: {info['message']}", info["line"]) from None
    try:
        return mount(dict(module.__dict__), MODULE_NAME, path)
    except NoEndpoint as exc:
        raise LoadFailure("no_endpoint", str(exc)) from None
    except Exception as exc:
        info = describe_exception(exc, filename)
        raise LoadFailure("mount", f"could not mount your endpoint: {info['type']}: {info['message']}") from None


def _scope(raw: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "websocket",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "scheme": "ws",
        "path": str(raw["path"]),
        "raw_path": str(raw["path"]).encode(),
        "root_path": "",
        "query_string": str(raw.get("query_string", "")).encode("latin-1"),
        "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in raw.get("headers", [])],
        "client": ("testclient", 50000),
        "server": ("testserver", 80),
        "subprotocols": [str(s) for s in raw.get("subprotocols", [])],
        "extensions": {"websocket.http.response": {}},
        "state": dict(state),
    }


class _DescriptorReserve:
    """A few descriptors held back from the learner's code, so the next connection can always arrive.

    A submission that opens files until the limit refuses would otherwise leave no slot for the socket
    the grader passes with SCM_RIGHTS, and the kernel would drop it. One reserved descriptor is released
    right before each ``recvmsg`` and taken back as soon as a connection's socket closes; both happen
    synchronously on the event loop, so the learner's (single-threaded) code cannot take the slot between.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.held: list[int] = []
        self.refill()

    def refill(self) -> None:
        while len(self.held) < self.size:
            try:
                self.held.append(os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC))
            except OSError:
                return

    def release_one(self) -> None:
        if self.held:
            os.close(self.held.pop())


_RESERVE_SIZE = 4
_reserve: _DescriptorReserve | None = None


class _Connection:
    def __init__(self, mounted: Mounted, scope: dict[str, Any], sock: socket.socket, filename: str) -> None:
        self.mounted = mounted
        self.scope = scope
        self.sock = sock
        self.filename = filename
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.lock = asyncio.Lock()
        self.loop = asyncio.get_running_loop()
        self.taken = 0  # messages the app has received; lets the grader tell a fresh wait from a stale one
        self.client_gone = False
        self.accepted = False
        self.settled = 0  # self.taken when the app last paused (waited, awaited something else, or ended)
        self.snapshots = 0  # numbers each snapshot, so the bridge keeps the newest if two cross on the way
        self.frames: list[types.FrameType] = []  # the learner's frames at the latest snapshot that found some
        self.reporters: set[asyncio.Task[None]] = set()
        # The endpoint's run is over: its "done" is the last frame the bridge accepts on this socket, so
        # nothing else may be emitted (the learner's leftover tasks get what a server gives them instead).
        self.ended = False
        self.numbered = 0  # frames sent on this connection

    async def emit(self, message: ChildFrame) -> None:
        async with self.lock:
            # Numbered on the wire, in the order sent: a frame that learner code slips in breaks the count,
            # for its own number or for the relay's next one (the bridge ends the connection either way).
            self.numbered += 1
            await self.loop.sock_sendall(self.sock, protocol.frame({**message, "n": self.numbered}))

    def _snapshot(self, found: list[types.FrameType], *, paused: bool) -> Snapshot:
        """The fields that report the endpoint's variables now, after taking ``self.taken`` messages.

        ``paused``: the app has stopped to wait (a row's "end"), rather than being midway, in a send.
        ``found``: the learner's frames running now, innermost first, so a helper's names win over the
        endpoint's. With none (a class endpoint between messages, an exception handled by the framework,
        the run over), the frames seen last still hold their locals: they have all returned, so the
        outermost, the endpoint's own, ran last and wins.
        """
        if found:
            self.frames = found
        if paused:
            self.settled = self.taken
        self.snapshots += 1
        shown = variables.snapshot(found or self.frames[::-1])
        # The line the innermost of the learner's running frames is at: where the endpoint paused (display only).
        line = found[0].f_lineno if found and paused else None
        return {"taken": self.taken, "seq": self.snapshots, "paused": paused, "vars": shown, "line": line}

    def _own_stack(self, *, paused: bool) -> Snapshot | None:
        """The variables on the calling stack, when it is this connection's endpoint run (not a broadcast)."""
        if _serving.get() is not self:
            return None
        return self._snapshot(variables.frames_on_stack(self.filename, sys._getframe(1)), paused=paused)

    def _report_when_paused(self, task: asyncio.Task[Any], taken: int) -> None:
        """Runs one loop iteration after the app took message ``taken``: its task has paused again by then.

        If it paused to wait for the next message, the wait reported its variables. If it paused anywhere
        else (asyncio.sleep, a lock, a queue), or has ended, report them now from its suspended coroutines,
        so the row that delivered the message shows what the endpoint made of it.
        """
        if self.settled >= taken or self.ended:
            return
        found = [] if task.done() else variables.frames_of_task(self.filename, task)
        reporter = self.loop.create_task(self._emit_quietly({"t": "vars", **self._snapshot(found, paused=True)}))
        self.reporters.add(reporter)
        reporter.add_done_callback(self.reporters.discard)

    async def _emit_quietly(self, message: ChildFrame) -> None:
        # The connection may be gone, and with it the row that wanted these variables.
        if self.ended:
            return
        with contextlib.suppress(OSError):
            await self.emit(message)

    async def read_client(self) -> None:
        reader = protocol.FrameReader(limit=1 << 24)
        while True:
            try:
                data = await self.loop.sock_recv(self.sock, 65536)
            except OSError:
                data = b""
            if not data:
                self.client_gone = True
                await self.inbox.put({"type": "websocket.disconnect", "code": 1006})
                return
            for message in reader.feed(data):
                m = message.get("m", {})
                if m.get("type") == "websocket.disconnect":
                    self.client_gone = True
                if "bytes" in m and m["bytes"] is not None:
                    m["bytes"] = protocol.decode_bytes(m["bytes"])
                await self.inbox.put(m)

    async def receive(self) -> dict[str, Any]:
        if self.ended:
            return {"type": "websocket.disconnect", "code": 1006}  # as a server answers once the run is over
        if self.inbox.empty():
            own = self._own_stack(paused=True)
            wait: Wait = {"t": "wait", "taken": self.taken} if own is None else {"t": "wait", **own}
            await self.emit(wait)
        message = await self.inbox.get()
        self.taken += 1
        task = asyncio.current_task()
        if task is not None and _serving.get() is self:
            self.loop.call_soon(self._report_when_paused, task, self.taken)
        return message

    async def send(self, message: MutableMapping[str, Any]) -> None:
        # A close after the client left is ignored, as uvicorn does; only data has nowhere to go.
        if self.client_gone and message.get("type") == "websocket.send":
            raise ClientDisconnected("sent to a client that had already disconnected")
        if self.ended:
            # uvicorn refuses a message for a connection whose endpoint has returned; so do we.
            raise RuntimeError(f"Unexpected ASGI message {message.get('type')!r} after the endpoint returned.")
        asgi, own = protocol.encode_asgi(message), self._own_stack(paused=False)
        send: Send = {"t": "send", "m": asgi} if own is None else {"t": "send", "m": asgi, **own}
        await self.emit(send)
        kind = message.get("type")
        if kind == "websocket.accept":
            self.accepted = True
        elif kind == "websocket.close" and self.accepted and not self.client_gone:
            # A server ends the connection once the app closes it (the client's close reply), and the app's
            # next receive() gets the disconnect: without it a WebSocketEndpoint that closes in on_receive
            # would wait forever in its receive loop.
            self.client_gone = True
            await self.inbox.put({"type": "websocket.disconnect", "code": message.get("code", 1000)})

    async def run(self) -> None:
        _serving.set(self)  # in this task's own context: the connection's task runs only run()
        self.sock.setblocking(False)
        reader = asyncio.create_task(self.read_client())
        error = None
        try:
            await self.emit({"t": "route", "matched": self.mounted.route_for(self.scope["path"])})
            await self.mounted.app(self.scope, self.receive, self.send)
        except asyncio.CancelledError:
            error = {"type": "Cancelled", "message": "the grader stopped the endpoint", "line": None, "source": ""}
        except BaseException as exc:
            error = describe_exception(exc, self.filename)
        for reporter in list(self.reporters):
            reporter.cancel()
        if self.accepted and not self.client_gone:
            # What an ASGI server does when the endpoint ends with the connection open: close it, 1011 if
            # the endpoint raised. Marked automatic so the feedback can say the endpoint returned.
            code = 1000 if error is None else 1011
            close = {"type": "websocket.close", "code": code, "reason": ""}
            await self._emit_quietly({"t": "send", "auto": True, "m": close})
        if self.frames:
            # A frame keeps its locals after it returns: show what the run ended with (after an except
            # clause, say), then let go of the frames, which hold this connection through the websocket.
            await self._emit_quietly({"t": "vars", **self._snapshot([], paused=True)})
            self.frames = []
        self.ended = True
        try:
            await self.emit({"t": "done", "error": error})
            # Half-close, then keep reading until the bridge hangs up: closing while its last write is
            # in flight would make it lose the frames above. No timer: the bridge hangs up at the end of the
            # trace at the latest, and a pending timer would keep the event loop from looking quiet to the
            # grader (``_linux.blocked_forever``), which ends "no message" windows early only then.
            self.sock.shutdown(socket.SHUT_WR)
            await reader
        except OSError:
            pass
        reader.cancel()
        self.sock.close()
        if _reserve is not None:
            _reserve.refill()


_lifespans: list[asyncio.Future[Any]] = []


async def _lifespan_startup(app: Any) -> dict[str, Any]:
    """Run the app's startup (FastAPI lifespan) so state it prepares exists; ignore apps without one."""
    state: dict[str, Any] = {}
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})
    scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": state}
    task = asyncio.ensure_future(app(scope, inbox.get, outbox.put))
    _lifespans.append(task)  # keep it referenced: the app's lifespan lives as long as the child
    answer = asyncio.ensure_future(outbox.get())
    await asyncio.wait({task, answer}, return_when=asyncio.FIRST_COMPLETED)
    if answer.done():
        message = answer.result()
        if message.get("type") == "lifespan.startup.failed":
            raise LoadFailure("startup", f"your app's startup failed: {message.get('message', '')}")
    else:
        answer.cancel()
    return state


# What learners typically write, so that its lazy imports and caches are warm in every fork: an endpoint
# with parameters (path, query, cookie, header, a dependency) and one it refuses.
_REHEARSAL = """
from typing import Annotated

from fastapi import Cookie, Depends, FastAPI, Header, Query, WebSocket, WebSocketException, status

app = FastAPI()


async def credential(
    session: Annotated[str | None, Cookie()] = None,
    token: Annotated[str | None, Query()] = None,
    agent: Annotated[str | None, Header()] = None,
) -> str:
    if session is None and token is None:
        raise WebSocketException(code=status.WS_1008_POLICY_VIOLATION)
    return session or token or ""


@app.websocket("/ws/{item_id}")
async def endpoint(websocket: WebSocket, item_id: int, who: Annotated[str, Depends(credential)], q: int | None = None):
    await websocket.accept()
    data = await websocket.receive_text()
    await websocket.send_text(data)
    await websocket.close()
"""


def rehearse() -> None:
    """Load and serve one built-in endpoint in memory, in the zygote, so lazy imports and caches are warm
    in every fork: a connection it refuses, then one it serves. (Rehearsing again in each child forked ahead,
    to take its copy-on-write faults early, cost more CPU than it saved: bench/grading.py measured 5% less
    throughput.)"""
    mounted = load_submission(_REHEARSAL, "<rehearsal>", "/ws/{item_id}")
    incoming = [{"type": "websocket.connect"}, {"type": "websocket.receive", "text": "warm"}]

    async def connection(query: str) -> None:
        loop = asyncio.get_running_loop()
        ours, theirs = socket.socketpair()
        ours.setblocking(False)
        scope = _scope({"path": "/ws/1", "query_string": query, "headers": [], "subprotocols": []}, {})
        task = asyncio.ensure_future(_Connection(mounted, scope, theirs, "<rehearsal>").run())
        for message in incoming:
            await loop.sock_sendall(ours, protocol.frame({"m": protocol.encode_asgi(message)}))
        reader = protocol.FrameReader(1 << 20)
        done = False
        while not done:
            data = await loop.sock_recv(ours, 65536)
            done = not data or any(frame.get("t") == "done" for frame in reader.feed(data))
        ours.close()
        await task

    async def play() -> None:
        await _lifespan_startup(mounted.app)
        await connection("")
        await connection("token=t&q=2")

    loop = asyncio.new_event_loop()
    loop.run_until_complete(play())
    for task in _lifespans:
        task.cancel()
    loop.run_until_complete(asyncio.sleep(0))
    loop.close()
    _lifespans.clear()
    sys.modules.pop(MODULE_NAME, None)
    linecache.cache.pop("<rehearsal>", None)


def _hide_grader_modules() -> None:
    """Learner code that imports ``grader`` gets fresh copies, not the modules relaying its messages.

    Everything the relay needs is already bound, so patching ``grader.child`` and friends from the
    submission changes nothing. (Code that digs objects out of the garbage collector could still
    reach them; the verdicts that depend on what the child reports are the "finished cleanly" rows.)
    """
    for name in [n for n in sys.modules if n == "grader" or n.startswith("grader.")]:
        del sys.modules[name]


def serve(control: socket.socket) -> None:
    """Child main loop: one ``load``, then ``connect`` messages until the grader hangs up."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    message, _ = protocol.recv_control(control)
    if message is None or message.get("t") != "load":
        return
    filename = str(message["filename"])
    global _reserve
    reserve = _reserve = _DescriptorReserve(_RESERVE_SIZE)  # before their code runs, even at import time
    _hide_grader_modules()
    try:
        mounted = load_submission(str(message["code"]), filename, str(message["path"]))
        state = loop.run_until_complete(_lifespan_startup(mounted.app)) if mounted.kind == "app" else {}
    except LoadFailure as failure:
        protocol.send_control(
            control, {"t": "load_error", "kind": failure.kind, "message": failure.message, "line": failure.line}
        )
        return
    except BaseException as exc:
        info = describe_exception(exc, filename)
        protocol.send_control(
            control,
            {
                "t": "load_error",
                "kind": "startup",
                "message": f"{info['type']} during startup: {info['message']}",
                "line": info["line"],
            },
        )
        return
    protocol.send_control(control, {"t": "ready", "kind": mounted.kind, "name": mounted.name, "routes": mounted.routes})
    finished = loop.create_future()
    tasks: set[asyncio.Task[None]] = set()

    def on_control() -> None:
        reserve.release_one()
        try:
            msg, fds = protocol.recv_control(control, maxfds=1)
        except BlockingIOError:
            return
        except (OSError, protocol.ProtocolViolation):
            msg, fds = None, []
        finally:
            reserve.refill()
        if msg is None:
            loop.remove_reader(control.fileno())
            if not finished.done():
                finished.set_result(None)
            return
        if msg.get("t") == "connect" and fds:
            sock = socket.socket(fileno=fds[0])
            connection = _Connection(mounted, _scope(msg["scope"], state), sock, filename)
            task = loop.create_task(connection.run())
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    control.setblocking(False)
    loop.add_reader(control.fileno(), on_control)
    loop.run_until_complete(finished)
