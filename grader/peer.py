"""One named client of a trace: a TestClient WebSocket session with timeouts and a look-ahead."""

from __future__ import annotations

import collections
import contextlib
import time
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode

from starlette.testclient import TestClient, WebSocketDenialResponse, WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from grader.bridge import TIMEOUT, WAIT, Bridge, ConnectionRecord

EventKind = Literal["message", "close", "wait", "timeout"]
HandshakeOutcome = Literal["accepted", "closed", "denied", "timeout"]


@dataclass(frozen=True)
class Event:
    """Something the client observed: a message, a close, the app waiting, or silence."""

    kind: EventKind
    message: dict[str, Any] | None = None
    taken: int = 0

    @property
    def code(self) -> int:
        return int((self.message or {}).get("code", 1000))

    @property
    def reason(self) -> str:
        return str((self.message or {}).get("reason") or "")


@dataclass
class Handshake:
    outcome: HandshakeOutcome
    subprotocol: str | None = None
    code: int = 0
    reason: str = ""
    status: int = 0
    body: bytes = b""


class Peer:
    def __init__(self, name: str, client: TestClient, bridge: Bridge) -> None:
        self.name = name
        self.client = client
        self.bridge = bridge
        self.session: WebSocketTestSession | None = None
        self.record: ConnectionRecord | None = None
        self.handshake: Handshake | None = None
        self.sent = 0  # messages delivered to the app, counting websocket.connect
        self.closed_by_server = False
        self.closed_by_client = False
        self.idle = False  # the app last reported waiting with every message taken
        self._ahead: collections.deque[Event] = collections.deque()

    def connect(
        self,
        path: str,
        *,
        query: dict[str, str],
        headers: dict[str, str],
        cookies: dict[str, str],
        subprotocols: list[str],
        timeout: float,
    ) -> Handshake:
        url = path + (("?" + urlencode(query)) if query else "")
        all_headers = dict(headers)
        if cookies:
            all_headers["cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        self.record = record = self.bridge.prepare(self.name)
        record.arm(timeout)  # __enter__ blocks on the handshake; the bridge ends it with a timeout marker
        self.sent = 1
        record.posted = 1  # the TestClient's websocket.connect
        try:
            session = self.client.websocket_connect(url, subprotocols=subprotocols or None, headers=all_headers)
            self.session = session.__enter__()
        except WebSocketDenialResponse as exc:  # a subclass of WebSocketDisconnect: catch it first
            self.closed_by_server = True
            self.handshake = Handshake("denied", status=exc.status_code, body=exc.content)
        except WebSocketDisconnect as exc:
            self.closed_by_server = True
            self.handshake = Handshake("closed", code=exc.code, reason=exc.reason or "")
        else:
            # __enter__ read one message (the accept, or a timeout marker) past ``next_event``'s count
            record.note_read({"type": "websocket.accept"})
            accepted = record.accepted  # __enter__ also returns on a timeout marker
            self.handshake = (
                Handshake("accepted", subprotocol=self.session.accepted_subprotocol)
                if accepted
                else Handshake("timeout")
            )
        record.disarm()
        return self.handshake

    @property
    def open(self) -> bool:
        return self.session is not None and not self.closed_by_server and not self.closed_by_client

    @property
    def delivered(self) -> int:
        """Messages this client has given the app to take, counting its disconnect."""
        return self.sent + (1 if self.closed_by_client else 0)

    def next_event(self, timeout: float) -> Event:
        """The next thing from the server; ``timeout`` if nothing within ``timeout`` seconds.

        The deadline holds whatever the child has queued: a wait read after it is a timeout. A wait is
        the child's unverified claim, so it only counts once the kernel shows the child's event loop idle
        (a blocked or spinning loop that claims to wait is busy, as a client would find out).
        """
        if self._ahead:
            return self._ahead.popleft()
        if self.session is None or self.closed_by_server:
            return Event("close", {"type": "websocket.close", "code": self._close_code()})
        assert self.record is not None
        end = time.monotonic() + timeout
        armed = self.record.arm(timeout)
        try:
            while True:
                message = self.session.receive()
                self.record.note_read(message)
                kind = message.get("type")
                if kind == TIMEOUT:
                    if message.get("armed") == armed:
                        return Event("timeout")
                    continue  # a stale marker from an earlier deadline
                if kind == WAIT:
                    if not self.bridge.child.loop_idle(end, gone=self.record.done.is_set):
                        return Event("timeout")
                    taken = int(message.get("taken", 0))
                    self.idle = taken >= self.sent
                    return Event("wait", taken=taken)
                self.idle = False
                if kind == "websocket.close":
                    self.closed_by_server = True
                    return Event("close", dict(message))
                return Event("message", dict(message))
        finally:
            self.record.disarm()

    def has_unread(self) -> bool:
        """Whether ``next_event`` has something to return at once (a hint from the runner's thread)."""
        if self._ahead or self.session is None or self.closed_by_server or self.record is None:
            return True
        return self.record.queued > self.record.read

    def push_back(self, event: Event) -> None:
        self._ahead.appendleft(event)

    def next_non_wait(self, timeout: float) -> Event:
        deadline = time.monotonic() + timeout
        while True:
            event = self.next_event(max(0.0, deadline - time.monotonic()))
            if event.kind != "wait":
                return event
            if time.monotonic() >= deadline:
                return Event("timeout")

    def _close_code(self) -> int:
        if self.record is not None and self.record.closed is not None:
            return self.record.closed[0]
        return self.handshake.code if self.handshake else 1006

    def send(self, message: dict[str, Any]) -> None:
        assert self.session is not None
        assert self.record is not None
        self.record.posted += 1
        self.session.send(message)
        self.sent += 1
        self.idle = False

    def close(self, code: int, reason: str) -> None:
        if self.session is not None and not self.closed_by_client:
            if self.record is not None:
                self.record.posted += 1
            self.session.close(code, reason or None)
            self.closed_by_client = True

    def shutdown(self) -> None:
        """End the session (and the bridge's portal thread) whatever state it is in."""
        session, self.session = self.session, None
        if session is None:
            return
        with contextlib.suppress(Exception):
            session.__exit__(None, None, None)
