"""The narrow channel between the trusted grader and the sandboxed child.

Control messages travel as single JSON datagrams on SOCK_SEQPACKET sockets
(file descriptors ride along with SCM_RIGHTS). Each WebSocket connection gets
its own SOCK_STREAM socket carrying length-prefixed JSON frames. The trusted
side never unpickles or evaluates anything: it parses JSON and validates each
ASGI message against the few shapes a WebSocket app may send.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import socket
import struct
from collections.abc import Mapping
from typing import Any

from grader.messages import ControlMessage

CONTROL_MAX = 1 << 18
_LENGTH = struct.Struct(">I")


class ProtocolViolation(Exception):
    """The child sent something that is not a well-formed message."""


def dumps(message: Mapping[str, object]) -> bytes:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode()


def loads(data: bytes) -> dict[str, Any]:
    try:
        message = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolViolation(f"not JSON: {exc}") from exc
    if not isinstance(message, dict):
        raise ProtocolViolation("not a JSON object")
    cleaned: dict[str, Any] = _clean(message)
    return cleaned


_SURROGATE = re.compile("[\ud800-\udfff]")


def _clean(value: Any) -> Any:
    """Text from the child as Python text that can always be encoded: JSON's ``\\ud800`` escapes decode to
    lone surrogates, which no UTF-8 writer accepts (a forged load error carrying one crashed every output
    format). Pairs become the character they stand for; a lone one becomes U+FFFD."""
    if isinstance(value, str):
        if _SURROGATE.search(value) is None:
            return value
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    return value


# -- control datagrams -------------------------------------------------------------------------


def send_control(sock: socket.socket, message: ControlMessage, fds: list[int] | None = None) -> None:
    data = dumps(message)
    if fds:
        socket.send_fds(sock, [data], fds)
    else:
        sock.send(data)


def recv_control(sock: socket.socket, maxfds: int = 0) -> tuple[dict[str, Any] | None, list[int]]:
    """One control message and the descriptors sent with it; (None, []) at end of stream."""
    if maxfds:
        data, fds, _flags, _addr = socket.recv_fds(sock, CONTROL_MAX, maxfds)
    else:
        data, fds = sock.recv(CONTROL_MAX), []
    if not data:
        for fd in fds:
            _close_quietly(fd)
        return None, []
    return loads(data), list(fds)


def _close_quietly(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)


# -- connection frames -------------------------------------------------------------------------


def frame(message: Mapping[str, object]) -> bytes:
    data = dumps(message)
    return _LENGTH.pack(len(data)) + data


class FrameReader:
    """Incremental decoder of length-prefixed frames, refusing frames over ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._buffer = bytearray()

    @property
    def pending(self) -> bool:
        """Part of a frame has arrived and waits for the rest."""
        return bool(self._buffer)

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        self._buffer += data
        messages = []
        while len(self._buffer) >= _LENGTH.size:
            (length,) = _LENGTH.unpack_from(self._buffer)
            if length > self.limit:
                raise ProtocolViolation(f"message of {length} bytes is over the limit of {self.limit} bytes")
            if len(self._buffer) < _LENGTH.size + length:
                break
            body = bytes(self._buffer[_LENGTH.size : _LENGTH.size + length])
            del self._buffer[: _LENGTH.size + length]
            messages.append(loads(body))
        return messages


# -- ASGI messages ------------------------------------------------------------------------------


def encode_asgi(message: Mapping[str, Any]) -> dict[str, Any]:
    """An ASGI message as JSON-safe data (bytes become base64)."""
    out: dict[str, Any] = {}
    for key, value in message.items():
        if isinstance(value, (bytes, bytearray, memoryview)):
            out[key] = {"b64": base64.b64encode(bytes(value)).decode()}
        elif key == "headers" and value is not None:
            out[key] = [[_latin1(k), _latin1(v)] for k, v in value]
        else:
            out[key] = value
    return out


def _latin1(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("latin-1")
    return str(value)


def decode_bytes(value: Any) -> bytes:
    if isinstance(value, dict) and isinstance(value.get("b64"), str):
        try:
            return base64.b64decode(value["b64"], validate=True)
        except ValueError as exc:
            raise ProtocolViolation("bad base64 payload") from exc
    raise ProtocolViolation("expected a bytes payload")


def _headers(value: Any) -> list[tuple[bytes, bytes]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in value
    ):
        raise ProtocolViolation("headers must be a list of name/value pairs")
    try:
        return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in value]
    except UnicodeEncodeError as exc:
        raise ProtocolViolation("header is not latin-1") from exc


def _optional(value: Any, kind: type, what: str) -> Any:
    if value is not None and (not isinstance(value, kind) or (isinstance(value, bool) and kind is int)):
        raise ProtocolViolation(f"{what} must be {kind.__name__}, not {type(value).__name__} {repr(value)[:40]}")
    return value


def decode_app_message(raw: Any) -> dict[str, Any]:
    """Validate a message the learner's app sent; only WebSocket server messages are allowed."""
    if not isinstance(raw, dict):
        raise ProtocolViolation("message is not an object")
    kind = raw.get("type")
    if kind == "websocket.accept":
        return {
            "type": kind,
            "subprotocol": _optional(raw.get("subprotocol"), str, "subprotocol"),
            "headers": _headers(raw.get("headers")),
        }
    if kind == "websocket.send":
        text, data = raw.get("text"), raw.get("bytes")
        if text is not None and data is None:
            return {"type": kind, "text": _optional(text, str, "text")}
        if data is not None and text is None:
            return {"type": kind, "bytes": decode_bytes(data)}
        raise ProtocolViolation("websocket.send needs exactly one of text or bytes")
    if kind == "websocket.close":
        code = _optional(raw.get("code", 1000), int, "close code")
        reason = raw.get("reason")
        if reason is not None and not isinstance(reason, str):
            # FastAPI's own validation handler closes with a list of errors as the reason
            reason = json.dumps(reason, ensure_ascii=False)
        return {"type": kind, "code": 1000 if code is None else code, "reason": (reason or "")[:1024]}
    if kind == "websocket.http.response.start":
        status = raw.get("status")
        if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
            raise ProtocolViolation("denial response needs an HTTP status")
        return {"type": kind, "status": status, "headers": _headers(raw.get("headers"))}
    if kind == "websocket.http.response.body":
        body = raw.get("body")
        return {
            "type": kind,
            "body": decode_bytes(body) if body is not None else b"",
            "more_body": bool(raw.get("more_body", False)),
        }
    raise ProtocolViolation(f"unexpected message type {kind!r}")
