"""What crossed the wire during each row of a trace, as its clients saw it (display only).

The runner tells the log what each client sent and what each check read; the log turns that into the
``frames`` of a ``StepResult``: in order, at most ``FRAMES_PER_STEP`` a row, payloads cut to
``FRAME_PAYLOAD_LIMIT`` characters. A frame belongs to the row whose check read it: a handshake's answer
to the row that judges the handshake, a reply to the row that expects it. A message a check looked at and
left for the next check (``unread``) moves on with it, unless the row fails, when it stays in the row
that saw it last; a close stays where it was first seen. Nothing here decides a verdict.
"""

from __future__ import annotations

import json
from typing import Any

from grader.peer import Event, Handshake
from grader.results import FRAME_PAYLOAD_LIMIT, FRAMES_PER_STEP, Frame, FrameDirection, FrameType


def _cut(text: str | None) -> tuple[str | None, bool]:
    if text is None or len(text) <= FRAME_PAYLOAD_LIMIT:
        return text, False
    return text[:FRAME_PAYLOAD_LIMIT], True


def _frame(
    client: str,
    direction: FrameDirection,
    type: FrameType,
    payload: str | None = None,
    *,
    code: int | None = None,
    reason: str | None = None,
    subprotocol: str | None = None,
) -> Frame:
    shown, truncated = _cut(payload)
    return Frame(
        client=client,
        direction=direction,
        type=type,
        payload=shown,
        truncated=truncated,
        code=code,
        reason=_cut(reason)[0] if reason else None,
        subprotocol=_cut(subprotocol)[0] if subprotocol else None,
    )


def compact_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def message_frame(client: str, message: dict[str, Any] | None) -> Frame:
    """A data message the server sent: text as it is, bytes as hex."""
    message = message or {}
    if message.get("text") is not None:
        return _frame(client, "to_client", "text", str(message["text"]))
    data = message.get("bytes")
    return _frame(client, "to_client", "bytes", bytes(data).hex() if data is not None else "")


class WireLog:
    def __init__(self) -> None:
        self._row: list[tuple[Event | None, Frame]] = []  # (the event a check read, or None), frame
        self._unread: list[tuple[str, Event]] = []  # events a check looked at and handed back
        self._answered: set[str] = set()  # clients whose handshake answer is recorded
        self._closed: set[str] = set()  # clients whose server close is recorded

    # -- the client ------------------------------------------------------------------------

    def connect(self, client: str, url: str, subprotocols: list[str]) -> None:
        self._answered.discard(client)
        self._closed.discard(client)
        self._add(None, _frame(client, "to_server", "connect", url, subprotocol=", ".join(subprotocols) or None))

    def sent_text(self, client: str, text: str) -> None:
        self._add(None, _frame(client, "to_server", "text", text))

    def sent_bytes(self, client: str, data: bytes) -> None:
        self._add(None, _frame(client, "to_server", "bytes", data.hex()))

    def sent_json(self, client: str, value: Any) -> None:
        self._add(None, _frame(client, "to_server", "json", compact_json(value)))

    def client_closed(self, client: str, code: int, reason: str) -> None:
        self._add(None, _frame(client, "to_server", "close", code=code, reason=reason))

    # -- the server --------------------------------------------------------------------------

    def handshake(self, client: str, handshake: Handshake | None) -> None:
        """The server's answer to the handshake, once per connection (a timeout sent nothing)."""
        if handshake is None or client in self._answered or handshake.outcome == "timeout":
            return
        self._answered.add(client)
        if handshake.outcome == "accepted":
            self._add(None, _frame(client, "to_client", "accept", subprotocol=handshake.subprotocol))
        elif handshake.outcome == "denied":
            body = handshake.body.decode("utf-8", errors="replace")
            self._add(None, _frame(client, "to_client", "deny", body or None, code=handshake.status))
        else:
            self._closed.add(client)
            self._add(None, _frame(client, "to_client", "close", code=handshake.code, reason=handshake.reason))

    def read(self, client: str, event: Event) -> None:
        """A check read ``event`` (waits and timeouts did not cross the wire)."""
        self._unread = [(c, e) for c, e in self._unread if e is not event]
        if event.kind == "message":
            self._add(event, message_frame(client, event.message))
        elif event.kind == "close" and client not in self._closed:
            self._closed.add(client)
            self._add(event, _frame(client, "to_client", "close", code=event.code, reason=event.reason))

    def unread(self, client: str, event: Event) -> None:
        """A check handed ``event`` back for a later check to read. A close stays in the row that saw it
        first: every check that hands one back has judged it already."""
        if event.kind == "message" and any(read is event for read, _ in self._row):
            self._row = [(read, frame) for read, frame in self._row if read is not event]
            self._unread.append((client, event))

    def as_json(self, event: Event, value: Any) -> None:
        """The check that read ``event`` found JSON in it: show it as a JSON frame, as the lesson does."""
        for index, (read, frame) in enumerate(self._row):
            if read is event:
                self._row[index] = (read, _frame(frame.client, "to_client", "json", compact_json(value)))

    # -- rows --------------------------------------------------------------------------------

    def end_row(self, *, passed: bool) -> list[Frame]:
        """This row's frames; a failed row keeps what it looked at and left unread (nothing reads it now)."""
        if not passed:
            for client, event in list(self._unread):
                self.read(client, event)
        frames = [frame for _, frame in self._row]
        self._row = []
        return frames

    def _add(self, read: Event | None, frame: Frame) -> None:
        if len(self._row) < FRAMES_PER_STEP:
            self._row.append((read, frame))
