"""The learner-facing wording: known mistakes are named with their fix, from how a run ended."""

from __future__ import annotations

from typing import Any

import pytest

from grader import feedback


def _error(kind: str, message: str, source: str = "") -> dict[str, Any]:
    return {"type": kind, "message": message, "line": 9 if source else None, "source": source}


@pytest.mark.parametrize(
    ("error", "violation", "hint"),
    [
        (None, "expected a bytes payload", feedback.BYTES_NOT_BYTES),
        (None, "text must be str, not int 5", feedback.TEXT_NOT_STR),
        (None, "websocket.send needs exactly one of text or bytes", feedback.NOT_A_MESSAGE),
        (None, "unexpected message type 'text'", feedback.NOT_A_MESSAGE),
        (
            _error("WebSocketDisconnect", "code 1000", "raise WebSocketDisconnect(1000)"),
            None,
            feedback.RAISED_DISCONNECT,
        ),
        (
            _error(
                "RuntimeError",
                """Expected ASGI message "websocket.accept", "websocket.close" or """
                """"websocket.http.response.start", but got 'websocket.send'""",
            ),
            None,
            feedback.SENT_BEFORE_ACCEPT,
        ),
        (
            _error("RuntimeError", """Expected ASGI message "websocket.send" or "websocket.close", but got 'text'"""),
            None,
            feedback.NOT_A_MESSAGE,
        ),
        (
            _error("WebSocketDisconnected", 'WebSocket is not connected. Need to call "accept" first.'),
            None,
            feedback.RECEIVED_BEFORE_ACCEPT,
        ),
        (
            _error("WebSocketDisconnected", 'Cannot call "send" once a close message has been sent.'),
            None,
            feedback.SEND_AFTER_CLOSE,
        ),
        (
            _error("WebSocketDisconnected", 'Cannot call "receive" once a disconnect message has been received.'),
            None,
            feedback.RECEIVE_AFTER_DISCONNECT,
        ),
        (_error("KeyError", "'type'", 'await websocket.send({"text": data})'), None, feedback.NOT_A_MESSAGE),
        (
            _error("TypeError", "string indices must be integers", "await websocket.send(data)"),
            None,
            feedback.NOT_A_MESSAGE,
        ),
    ],
)
def test_known_mistakes_are_named_with_their_fix(
    error: dict[str, Any] | None, violation: str | None, hint: str
) -> None:
    assert feedback.mistake_hint(error, violation) == hint


@pytest.mark.parametrize(
    ("error", "violation"),
    [
        (None, None),
        (None, "your endpoint accepted the connection twice"),
        (_error("WebSocketDisconnect", "code 1000", "data = await websocket.receive_text()"), None),
        (_error("KeyError", "'text'", "data = message['text']"), None),
        (_error("TypeError", "unsupported operand", "await websocket.send_text(a + 1)"), None),
        (_error("ValueError", "boom"), None),
    ],
)
def test_other_endings_get_no_mistake_hint(error: dict[str, Any] | None, violation: str | None) -> None:
    assert feedback.mistake_hint(error, violation) == ""


def test_json_of_json_finds_only_json_text_holding_a_structure() -> None:
    assert feedback.json_of_json('{"a": 1}') == {"a": 1}
    assert feedback.json_of_json("[1, 2]") == [1, 2]
    assert feedback.json_of_json("hello") is None
    assert feedback.json_of_json('"quoted"') is None
    assert feedback.json_of_json("{not json") is None
    assert feedback.json_of_json({"a": 1}) is None


def test_json_quoted_text_is_a_json_string_literal() -> None:
    assert feedback.json_quoted_text('"Message text was: Hello"')
    assert not feedback.json_quoted_text("Message text was: Hello")
    assert not feedback.json_quoted_text('"unterminated')
    assert not feedback.json_quoted_text('"a" and "b"')
