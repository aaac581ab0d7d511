"""The bridge and a peer against a scripted child: what it accepts from a child, and what it holds for one.

The child here is a thread writing frames on a socketpair, so each test can send exactly what learner code
that took over the relay could send, as fast as it likes.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from grader import bridge as bridge_module
from grader._portal import shared_portal
from grader.bridge import Bridge
from grader.peer import Peer

Writer = Callable[[socket.socket, threading.Event], None]


def _frame(message: dict[str, Any]) -> bytes:
    body = json.dumps(message).encode()
    return struct.pack(">I", len(body)) + body


class ScriptedChild:
    """Stands in for a SandboxedChild: each connection's socket is written by ``writer`` in a thread."""

    def __init__(self, writer: Writer) -> None:
        self.writer = writer
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []

    def open_connection(self, scope: dict[str, Any]) -> socket.socket:
        ours, theirs = socket.socketpair()
        thread = threading.Thread(target=self._run, args=(theirs,), daemon=True)
        thread.start()
        self.threads.append(thread)
        return ours

    def _run(self, sock: socket.socket) -> None:
        try:
            self.writer(sock, self.stop)
        except OSError:
            pass
        finally:
            sock.close()

    def loop_idle(self, until: float, gone: Callable[[], bool] = lambda: False) -> bool:
        return True


def _handshake(sock: socket.socket) -> int:
    """The relay's opening frames: the route, then accepting. Returns the next frame number."""
    sock.sendall(_frame({"t": "route", "matched": "/ws", "n": 1}))
    sock.sendall(_frame({"t": "send", "m": {"type": "websocket.accept"}, "n": 2}))
    return 3


def _waits_forever(sock: socket.socket, stop: threading.Event) -> None:
    number = _handshake(sock)
    sock.settimeout(0.5)
    end = time.monotonic() + 6.0
    while not stop.is_set() and time.monotonic() < end:
        batch = b"".join(_frame({"t": "wait", "taken": 1, "n": number + i}) for i in range(200))
        number += 200
        sock.sendall(batch)


def _sends_forever(sock: socket.socket, stop: threading.Event) -> None:
    number = _handshake(sock)
    sock.settimeout(0.5)
    text = "x" * 65536
    while not stop.is_set():
        sock.sendall(_frame({"t": "send", "m": {"type": "websocket.send", "text": text}, "n": number}))
        number += 1


@pytest.fixture
def connect() -> Iterator[Callable[[Writer], tuple[Peer, ScriptedChild]]]:
    opened: list[tuple[Peer, ScriptedChild]] = []

    def open_(writer: Writer) -> tuple[Peer, ScriptedChild]:
        child = ScriptedChild(writer)
        bridge = Bridge(child, frame_limit=1 << 20)  # type: ignore[arg-type]
        client = TestClient(bridge)
        client.portal = shared_portal()
        peer = Peer("client", client, bridge)
        handshake = peer.connect("/ws", query={}, headers={}, cookies={}, subprotocols=[], timeout=2.0)
        assert handshake.outcome == "accepted"
        opened.append((peer, child))
        return peer, child

    yield open_
    for peer, child in opened:
        child.stop.set()
        peer.shutdown()


def test_a_step_deadline_holds_however_many_waits_are_queued(connect: Callable[[Writer], Any]) -> None:
    peer, _ = connect(_waits_forever)
    peer.sent = 2  # the client has sent a message the app never takes: every wait is a stale one
    started = time.monotonic()
    event = peer.next_non_wait(0.3)
    elapsed = time.monotonic() - started
    # a timeout, or the flood cut off as too many reports (bridge.REPORT_LIMIT): either way, in time
    assert event.kind in ("timeout", "close"), event
    assert elapsed < 1.0, f"a 0.3 s step took {elapsed:.1f} s"


def test_what_the_bridge_holds_for_a_slow_reader_is_bounded(connect: Callable[[Writer], Any]) -> None:
    peer, _ = connect(_sends_forever)
    time.sleep(1.5)  # the runner reads nothing meanwhile
    assert peer.session is not None
    held = peer.session._send_rx.statistics().current_buffer_used
    assert held <= bridge_module.UNREAD_MESSAGES + 4, f"{held} messages held for the runner"
    assert peer.record is not None
    assert peer.record.queued_bytes - peer.record.read_bytes <= bridge_module.UNREAD_BYTES + (1 << 20)
    event = peer.next_event(1.0)  # and it still reads what comes, in order
    assert event.kind == "message" and (event.message or {}).get("text", "").startswith("xxx")


def test_a_frame_out_of_the_relays_numbering_ends_the_connection(connect: Callable[[Writer], Any]) -> None:
    def forged(sock: socket.socket, stop: threading.Event) -> None:
        number = _handshake(sock)
        sock.sendall(_frame({"t": "done", "error": None}))  # no number: not the relay's
        sock.sendall(_frame({"t": "send", "m": {"type": "websocket.send", "text": "late"}, "n": number}))
        stop.wait(2)

    peer, _ = connect(forged)
    event = peer.next_event(2.0)
    assert event.kind == "close" and event.code == 1011
    assert peer.record is not None and "wrote to its connection" in (peer.record.violation or "")


def test_done_counts_only_when_the_socket_ends_right_after_it(connect: Callable[[Writer], Any]) -> None:
    def reports_then_talks(sock: socket.socket, stop: threading.Event) -> None:
        number = _handshake(sock)
        sock.sendall(_frame({"t": "done", "error": None, "n": number}))
        time.sleep(0.3)
        sock.sendall(_frame({"t": "done", "error": {"type": "RuntimeError", "message": "x"}, "n": number + 1}))
        stop.wait(2)

    peer, _ = connect(reports_then_talks)
    assert peer.record is not None
    time.sleep(0.15)
    assert not peer.record.done.is_set(), "a 'done' report was believed before the socket ended"
    event = peer.next_event(2.0)
    assert event.kind == "close" and event.code == 1011
    assert "after it reported" in (peer.record.violation or "")
