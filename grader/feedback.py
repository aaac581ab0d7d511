"""Every sentence the trace runner says to a learner: expectations, observations, messages and hints.

The runner (``grader/runner.py``) decides; this module only words. Each function takes the facts the
runner established and returns text, so the wording of a check kind is found in one place and can be
read (and reviewed) without the machinery around it. ``prefix`` is "Client alice: " when a trace has
several clients and the row is not the main one's, else "".
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from grader.bridge import ConnectionRecord
from grader.payloads import show
from grader.peer import Handshake

ExitDescription = Callable[[], str]

REMOVE_DEPARTED = " Remove a connection from your list as soon as its client disconnects, before sending to the others."
SKIPPED = "not run: an earlier step did not pass"


# -- facts in words ---------------------------------------------------------------------------


def sent_after_departure(error: dict[str, Any]) -> bool:
    """How the child words a send to a client that had left (ClientDisconnected in child.py)."""
    return "already disconnected" in str(error.get("message", ""))


def validation_refusal(reason: str) -> str:
    """FastAPI's close reason when a path, query, header or cookie parameter fails validation (a JSON list
    of pydantic errors, see protocol.decode_app_message), in words; "" for any other reason."""
    try:
        errors = json.loads(reason) if reason.startswith("[") else None
    except ValueError:
        return ""
    if not isinstance(errors, list) or not errors or not all(isinstance(e, dict) and "msg" in e for e in errors):
        return ""
    described = []
    for error in errors[:3]:
        loc = [str(part) for part in error.get("loc", [])]
        where = f"{loc[-1]} ({loc[0]})" if len(loc) >= 2 else (loc[0] if loc else "a parameter")
        got = f", got {show(error['input'])}" if isinstance(error.get("input"), (str, int, float)) else ""
        described.append(f"{where}: {error['msg']}{got}")
    return "; ".join(described)


def describe_message(message: dict[str, Any] | None) -> str:
    message = message or {}
    if message.get("text") is not None:
        return f"the text message {show(message['text'])}"
    if message.get("bytes") is not None:
        return f"the binary (bytes) message {show(message['bytes'])}"
    return "an empty message"


def describe_error(error: dict[str, Any]) -> str:
    text = f"{error.get('type', 'an exception')}"
    if error.get("type") == "OSError" and str(error.get("message", "")).startswith("[Errno 27]"):
        # EFBIG: the sandbox's file-size limit caps the output; "File too large" would mislead a learner.
        text += ": it printed more output than the grader allows (a loop that never stops?)"
    elif error.get("message"):
        text += f": {error['message']}"
    if error.get("line"):
        text += f" (line {error['line']}"
        text += f": {error['source']})" if error.get("source") else ")"
    return text


def crash_note(record: ConnectionRecord | None, describe_exit: ExitDescription) -> str:
    """Why a connection ended, as a clause to append ("" when it ended normally)."""
    if record is None:
        return ""
    if record.violation:
        return f" ({record.violation})"
    if record.error:
        return f" because it raised {describe_error(record.error)}"
    if record.lost:
        return f" because {describe_exit()}"
    return ""


def handshake_actual(
    handshake: Handshake | None, record: ConnectionRecord | None, timeout: float, describe_exit: ExitDescription
) -> str:
    """What the client saw of the handshake."""
    if handshake is None or record is None:
        return "no connection was attempted"
    if handshake.outcome == "accepted":
        return "the connection was accepted" + (
            f" with subprotocol {handshake.subprotocol!r}" if handshake.subprotocol else ""
        )
    if handshake.outcome == "denied":
        return f"an HTTP {handshake.status} response instead of a WebSocket"
    if handshake.outcome == "timeout":
        return f"no answer to the handshake within {timeout:g} s"
    if record.error:
        return f"before accepting, your endpoint raised {describe_error(record.error)}"
    if record.violation:
        return record.violation
    if record.lost:
        return describe_exit()
    if record.synthetic_close:
        return "your endpoint returned without accepting the connection"
    refusal = validation_refusal(handshake.reason)
    if refusal:
        return f"FastAPI refused the handshake (code {handshake.code}) before your endpoint ran: {refusal}"
    reason = f", reason {handshake.reason!r}" if handshake.reason else ""
    return f"your endpoint closed the connection before accepting it (code {handshake.code}{reason})"


def close_actual(code: int, reason: str, note: str, synthetic: bool) -> str:
    """How a connection the client was using ended; ``note`` is ``crash_note``'s clause."""
    if note:
        return f"the connection closed{note}"
    if synthetic:
        return "your endpoint returned and the connection closed"
    return f"your endpoint closed the connection (code {code}" + (f", reason {reason!r})" if reason else ")")


def crashes_elsewhere(errors: list[tuple[str, dict[str, Any]]]) -> str:
    """Why a message may never come: with several clients, the endpoint run that should have sent it
    (another client's) may have crashed, and that is the news the learner needs."""
    if not errors:
        return ""
    crashes = [f"client {name}'s endpoint raised {describe_error(error)}" for name, error in errors]
    departed = any(sent_after_departure(error) for _, error in errors)
    return f" Meanwhile {'; '.join(crashes)}.{REMOVE_DEPARTED if departed else ''}"


# -- the whole trace -------------------------------------------------------------------------

TRACE_TIMEOUT_EXPECTED = "the whole trace to finish in time"
TRACE_TIMEOUT_ACTUAL = "the submission ran out of time"
TRACE_TIMEOUT_MESSAGE = "Your submission took longer than the grader allows for the whole trace."


# -- an open connection ------------------------------------------------------------------------


def open_expected(doing: str) -> str:
    return f"an open connection to {doing}"


NO_OPEN_CONNECTION = "no open connection"


def never_accepted(prefix: str, doing: str) -> str:
    return f"{prefix}could not {doing}: the connection was never accepted."


def closed_by_endpoint_actual(code: int) -> str:
    return f"the connection was closed by your endpoint (code {code})"


def already_closed(prefix: str, doing: str, note: str) -> str:
    return f"{prefix or 'The client '}could not {doing}: your endpoint had already closed the connection{note}."


def expected_but_never_accepted(prefix: str, expected: str) -> str:
    return f"{prefix}Expected {expected}, but the connection was never accepted."


# -- connect -----------------------------------------------------------------------------------


def connect_expected(path: str) -> str:
    return f"a WebSocket route at {path}"


def declared_routes(routes: list[str]) -> str:
    return ", ".join(routes) if routes else "no WebSocket route at all"


def declared_actual(found: str) -> str:
    return f"your app declares {found}"


def no_route(path: str, found: str, lesson_path: str) -> str:
    return (
        f"No WebSocket route of your app matches {path}. Your app declares {found}; "
        f"the lesson's endpoint is {lesson_path}."
    )


def never_reached(exit_description: str) -> str:
    return f"The connection never reached your endpoint: {exit_description}."


def reached(route: str) -> str:
    return f"the request reached your endpoint at {route}"


# -- expect_accept -----------------------------------------------------------------------------


def accept_expected(subprotocol: str | None) -> str:
    return "the connection to be accepted" + (f" with subprotocol {subprotocol!r}" if subprotocol else "")


def accept_hint(handshake: Handshake | None, record: ConnectionRecord | None) -> str:
    """What to change when the handshake did not end in an accept."""
    if handshake is None or handshake.outcome not in ("closed", "timeout"):
        return ""
    if handshake.outcome == "closed":
        raw = mistake_hint(record.error if record else None, None, accepted=False)
        if raw in (SENT_BEFORE_ACCEPT, RECEIVED_BEFORE_ACCEPT):
            return raw
        if validation_refusal(handshake.reason):
            return " Check the types you declared for the path and query parameters."
        if record is not None and not (record.error or record.violation or record.lost or record.synthetic_close):
            # It closed on purpose: the question is why this client was refused, not how to accept.
            return " Your endpoint (or a dependency) refused this client: check the condition that closes it."
    return " Call `await websocket.accept()` before receiving or sending."


def not_accepted(prefix: str, actual: str, hint: str) -> str:
    return f"{prefix}Expected the connection to be accepted; {actual}.{hint}"


def wrong_subprotocol(want: str, got: str | None, offered: list[str]) -> str:
    shown = repr(got) if got else "no subprotocol"
    hint = (
        f" The client offered {', '.join(map(repr, offered))}: a server must choose one of those, "
        "and a browser drops the connection when it does not."
        if got and offered and got not in offered
        else ""
    )
    return f"Expected the server to choose subprotocol {want!r}, but it chose {shown}." + hint


# -- expect_close ------------------------------------------------------------------------------


def close_when(before_accept: bool | None) -> str:
    return " before accepting" if before_accept else ""


def close_expected(code: int | None, reason: str | None, before_accept: bool | None) -> str:
    parts = []
    if code is not None:
        parts.append(f"code {code}")
    if reason is not None:
        parts.append(f"reason {reason!r}")
    return f"the server to close the connection{close_when(before_accept)}" + (
        f" with {' and '.join(parts)}" if parts else ""
    )


def handshake_not_closed(when: str, actual: str, denied_but_code_wanted: bool) -> str:
    hint = (
        " An HTTPException answers the handshake with an HTTP response; raise "
        "`WebSocketException(code=...)` (or call `websocket.close(code=...)`) to close it with a code."
        if denied_but_code_wanted
        else ""
    )
    return f"Expected the connection to be closed{when}; {actual}.{hint}"


def accepted_not_refused(when: str, actual: str) -> str:
    return f"Expected the connection to be refused with a close{when}, but {actual}."


def nothing_within(timeout: float) -> str:
    return f"nothing within {timeout:g} s"


def close_never_came(prefix: str, timeout: float) -> str:
    return f"{prefix}Expected the server to close the connection, but nothing happened within {timeout:g} s."


def sent_instead_of_close(prefix: str, what: str) -> str:
    return f"{prefix}Expected the server to close the connection, but it sent {what}."


def closed_actual(code: int, reason: str) -> str:
    return f"closed with code {code}" + (f" and reason {reason!r}" if reason else "")


def wrong_close_code(code: int, want: int) -> str:
    return f"the close code was {code}, not {want}"


def wrong_close_reason(reason: str, want: str) -> str:
    return f"the reason was {reason!r}, not {want!r}"


def close_reason_mismatch(reason: str, pattern: str) -> str:
    return f"the reason {reason!r} does not match {pattern!r}"


def close_mismatch_actual(actual: str, note: str) -> str:
    return actual + (f" ({note.strip()})" if note else "")


def close_mismatch(prefix: str, note: str, problems: list[str], error: dict[str, Any] | None) -> str:
    hint = ""
    if error is not None and error.get("type") == "WebSocketDisconnect":
        hint = (
            RAISED_DISCONNECT
            if _raised_by_learner(error)
            else " WebSocketDisconnect is what receiving raises when the client leaves; to close from the "
            "server, call `await websocket.close(code=..., reason=...)`."
        )
    return f"{prefix}The connection closed{note}, but " + "; ".join(problems) + f".{hint}"


def ran_on_actual(actual: str, error: str) -> str:
    return f"{actual}, then your endpoint raised {error}"


def ran_on_after_refusal(prefix: str, error: str) -> str:
    return (
        f"{prefix}The connection closed as expected, but your endpoint kept "
        f"running and then raised {error}. Stop right after closing: return after "
        "`await websocket.close(...)`, or raise `WebSocketException(code=...)` from a dependency."
    )


# -- expect_denial -----------------------------------------------------------------------------


def denial_expected(status: int) -> str:
    return f"an HTTP {status} response instead of a WebSocket"


def not_denied(status: int, actual: str) -> str:
    return f"Expected the handshake to be denied with HTTP {status}; {actual}."


def wrong_denial_status(want: int, got: int) -> str:
    return f"Expected HTTP status {want}, but your endpoint answered {got}."


def denial_body_actual(actual: str, body: str) -> str:
    return f"{actual} with body {show(body)}"


def wrong_denial_body(body: str, pattern: str) -> str:
    return f"The denial's body {show(body)} does not match {pattern!r}."


# -- expect_waiting ----------------------------------------------------------------------------

WAITING_EXPECTED = "the server to wait for a message without sending anything"
WAITING_DOING = "wait for a message"
WAITING_ACTUAL = "your endpoint is waiting for the client's message"


def sent_actual(what: str) -> str:
    return f"your endpoint sent {what}"


def spoke_first(prefix: str, what: str) -> str:
    return (
        f"{prefix}Expected the server to wait for the client to speak "
        f"first, but it sent {what} before receiving anything."
    )


def closed_instead_of_waiting(actual: str) -> str:
    return f"Expected the server to wait for a message, but {actual}."


def not_waiting_actual(timeout: float) -> str:
    return f"neither waiting nor sending after {timeout:g} s"


def still_busy(timeout: float) -> str:
    return (
        f"Expected the server to wait for a message with `await websocket.receive_text()`, but "
        f"after {timeout:g} s it was still busy: the server's event loop never became idle (is something "
        "blocking, like time.sleep, or a loop with no await?)."
    )


def paused_elsewhere_actual(timeout: float) -> str:
    return f"paused in an await that is not a receive for {timeout:g} s"


_PAUSED_WHERE = "(an `asyncio.sleep`, a queue, a lock or an event that nothing sets?)"


def paused_instead_of_waiting(timeout: float) -> str:
    return (
        f"Expected the server to wait for a message with `await websocket.receive_text()`, but for "
        f"{timeout:g} s it was paused in an `await` that is not a receive {_PAUSED_WHERE}. The server was idle, "
        "not blocked: your endpoint awaits something else instead of the client's next message."
    )


# -- expect_handled ----------------------------------------------------------------------------

HANDLED_EXPECTED = "the server to handle the message without crashing or hanging"
HANDLED_DOING = "have its message handled"
HANDLED_WAITS = "your endpoint handled the message and waits for the next one"
HANDLED_ANSWERED = "your endpoint handled the message and answered"


def crashed_while_handling(actual: str) -> str:
    return f"Your endpoint crashed while handling the message: {actual}."


def still_busy_actual(timeout: float) -> str:
    return f"still busy after {timeout:g} s"


def paused_with_message(timeout: float) -> str:
    return (
        f"Your endpoint took the message and then, for {timeout:g} s, neither answered nor waited for the "
        f"next one: it is paused in an `await` that is not a receive {_PAUSED_WHERE}. The server was idle, "
        "not blocked, so something your endpoint awaits never happens."
    )


def busy_with_message(timeout: float) -> str:
    return (
        f"Your endpoint was still busy with the message after {timeout:g} s: something "
        f"blocks or loops forever (a blocking call such as time.sleep stops the whole server)."
    )


# -- sends and closes by the client ------------------------------------------------------------


def text_sent(text: str) -> str:
    return f"the text message {show(text)}"


def bytes_sent(data: bytes) -> str:
    return f"the binary message {show(data)}"


def json_sent(value: Any) -> str:
    return f"the JSON message {show(value)}"


def send_doing(what: str) -> str:
    return f"send {what}"


def who_sent(who: str, what: str) -> str:
    return f"{who}sent {what}".strip()


CLOSE_DOING = "close the connection"


def who_closed(who: str, code: int) -> str:
    return f"{who}closed the connection with code {code}".strip()


# -- replies -----------------------------------------------------------------------------------


def waiting_instead(*, idle: bool, paused: bool) -> str:
    if idle:
        return " Your endpoint is waiting for another message instead of answering."
    if paused:
        return f" Your endpoint is paused in an `await` that is not a receive {_PAUSED_WHERE}."
    return ""


def no_reply(prefix: str, expected: str, timeout: float, waiting: str, elsewhere: str) -> str:
    return f"{prefix}Expected {expected}, but received nothing within {timeout:g} s.{waiting}{elsewhere}"


def expected_but(prefix: str, expected: str, actual: str) -> str:
    return f"{prefix}Expected {expected}, but {actual}."


def expected_but_received(prefix: str, expected: str, actual: str, tail: str = "") -> str:
    return f"{prefix}Expected {expected}, but received {actual}{tail}."


def text_expected_equals(want: str) -> str:
    return f"the text message {show(want)}"


def text_expected_contains(want: str) -> str:
    return f"a text message containing {show(want)}"


def text_expected_pattern(pattern: str) -> str:
    return f"a text message matching {pattern!r}"


USE_SEND_TEXT = ". Use `send_text` for text messages"


def bytes_expected(want: bytes) -> str:
    return f"the binary message {show(want)}"


def bytes_hint(got_text: bool) -> str:
    if not got_text:
        return ""
    return (
        ": a text frame, where the lesson expects a binary one. Use `send_bytes` for binary messages "
        "(`text.encode()` turns a str into bytes)"
    )


def json_expected(want: Any, *, exact: bool) -> str:
    return f"the JSON message {show(want)}" if exact else f"a JSON message with {show(want)}"


def not_json(binary_where_text: bool) -> str:
    if binary_where_text:
        return (
            ": a binary frame, where the lesson's JSON travels in text frames. Use `send_json(data)` "
            'without mode="binary", or `send_text(json.dumps(data))`'
        )
    return ", which is not JSON text. Use `send_json`"


def json_actual(value: Any) -> str:
    return f"the JSON message {show(value)}"


def json_of_json(value: Any) -> Any:
    """The value inside a JSON string that is itself JSON text (an object or a list), else None."""
    if not isinstance(value, str) or not value.lstrip().startswith(("{", "[")):
        return None
    try:
        inner = json.loads(value)
    except ValueError:
        return None
    return inner if isinstance(inner, (dict, list)) else None


ENCODED_TWICE = (
    ". That JSON was encoded twice: a str that already held JSON (from `json.dumps`?) was encoded again, by "
    "`send_json` (which encodes its argument itself) or by a second `json.dumps`. Pass the dict or list itself: "
    "`await websocket.send_json(data)`"
)


def json_quoted_text(text: str) -> bool:
    """The text is a JSON string literal: what ``send_json`` makes of a str."""
    if not (len(text) >= 2 and text.startswith('"') and text.endswith('"')):
        return False
    try:
        return isinstance(json.loads(text), str)
    except ValueError:
        return False


TEXT_AS_JSON = (
    ". The text arrived as a JSON string, in quotes: `send_json` encodes its argument as JSON. "
    "Send text with `await websocket.send_text(...)`"
)


# -- expect_no_message -------------------------------------------------------------------------


def no_message_expected(within: float) -> str:
    return f"no message within {within:g} s"


NOTHING_ARRIVED = "nothing arrived"


def unexpected_message(prefix: str, actual: str) -> str:
    return f"{prefix}Expected no message here, but received {actual}."


# -- expect_finished ---------------------------------------------------------------------------

FINISHED_EXPECTED = "the endpoint to finish cleanly after the disconnect"
FINISHED_ACTUAL = "your endpoint returned cleanly"
NO_CONNECTION = "no connection"
NOTHING_TO_FINISH = "There was no connection to finish."


def still_running_actual(timeout: float) -> str:
    return f"still running after {timeout:g} s"


def never_finished(timeout: float) -> str:
    return (
        f"Expected your endpoint to return after the client left, but it was still running "
        f"after {timeout:g} s. Stop the loop when the client disconnects."
    )


def raised_actual(error: str) -> str:
    return f"your endpoint raised {error}"


def finish_hint(error: dict[str, Any], *, closed_itself: bool, many_clients: bool) -> str:
    """What to change when the endpoint raised instead of returning after the client left."""
    if closed_itself:
        return SEND_AFTER_CLOSE
    if error.get("type") != "WebSocketDisconnect" or _raised_by_learner(error):
        return ""  # a raised WebSocketDisconnect gets ``mistake_hint``'s words
    if not sent_after_departure(error):
        return " Wrap the loop in `try: ... except WebSocketDisconnect: ...` so the endpoint ends cleanly."
    if many_clients:
        return REMOVE_DEPARTED
    return (
        " Once the client has disconnected, stop sending: let WebSocketDisconnect end the loop "
        "(a bare `except Exception:` catches it too)."
    )


def unclean_finish(error: str, hint: str) -> str:
    return f"Your endpoint did not finish cleanly: it raised {error}.{hint}"


def broken_finish(what: str) -> str:
    return f"Your endpoint did not finish cleanly: {what}."


# -- expect_open_or_closed ---------------------------------------------------------------------

OPEN_OR_CLOSED_EXPECTED = "the connection to stay open or close cleanly"
STAYS_OPEN = "the connection stays open"


def unclean_end(actual: str) -> str:
    return f"The connection did not end cleanly: {actual}."


def closed_cleanly(code: int) -> str:
    return f"the connection closed cleanly (code {code})"


# -- mistakes beginners make with real code, recognised by how the run ended ---------------------

RAISED_DISCONNECT = (
    " Raising WebSocketDisconnect does not close a connection: it is what receiving raises when the client "
    "has left. To close from the server, call `await websocket.close(code=..., reason=...)` and return."
)
SENT_BEFORE_ACCEPT = (
    " Starlette's error means your endpoint sent a message before accepting the connection: "
    "call `await websocket.accept()` first."
)
RECEIVED_BEFORE_ACCEPT = (
    " Starlette's error means your endpoint tried to receive before accepting the connection: "
    "call `await websocket.accept()` first."
)
NOT_A_MESSAGE = (
    " `websocket.send()` takes a whole ASGI message, a dict such as "
    '`{"type": "websocket.send", "text": "..."}`; to send text, call `await websocket.send_text(...)` '
    "(or `send_bytes`, `send_json`)."
)
SEND_AFTER_CLOSE = (
    " Your endpoint closed the connection itself and then kept using it; return (or break "
    "out of the loop) right after `await websocket.close(...)`."
)
RECEIVE_AFTER_DISCONNECT = (
    " Starlette's error means your endpoint called receive again after the client's disconnect: end the "
    'loop when a message\'s "type" is "websocket.disconnect" (or catch WebSocketDisconnect).'
)
BYTES_NOT_BYTES = (
    " Your endpoint sent a binary message whose data was not bytes (a str passed to `send_bytes`?): "
    "send `await websocket.send_bytes(text.encode())`, or send text with `send_text`."
)
TEXT_NOT_STR = (
    " Your endpoint sent a text message whose data was not a str: `send_text` takes a str (convert with "
    "`str(...)`), and `send_json` sends other values."
)
# What a message that already gives a hint's fix contains (a hint not listed is its own phrase).
_FIX_SAID = {SEND_AFTER_CLOSE: "`await websocket.close(...)`", RAISED_DISCONNECT: "Raising WebSocketDisconnect"}


def already_said(hint: str, message: str) -> bool:
    """Whether ``message`` already names the fix ``hint`` would add."""
    return _FIX_SAID.get(hint, hint) in message


_SEND_CALL = re.compile(r"\.send\(")


def _raised_by_learner(error: dict[str, Any]) -> bool:
    """The exception was raised by a ``raise`` statement on the learner's own line."""
    return str(error.get("source") or "").lstrip().startswith("raise")


def mistake_hint(error: dict[str, Any] | None, violation: str | None, *, accepted: bool) -> str:
    """Names a mistake beginners make with real code, and its fix, from how the connection's run ended:
    the exception the endpoint raised (Starlette's raw message-type errors among them) or the message the
    grader refused ("" when it is none of these). ``accepted``: the endpoint had accepted the connection."""
    if violation:
        if "expected a bytes payload" in violation:
            return BYTES_NOT_BYTES
        if violation.startswith("text must be str"):
            return TEXT_NOT_STR
        if "needs exactly one of text or bytes" in violation or violation.startswith("unexpected message type"):
            return NOT_A_MESSAGE
        return ""
    if not error:
        return ""
    kind, message, source = str(error.get("type")), str(error.get("message") or ""), str(error.get("source") or "")
    if kind == "WebSocketDisconnect" and _raised_by_learner(error):
        return RAISED_DISCONNECT
    if message.startswith('Expected ASGI message "websocket.accept"'):
        return SENT_BEFORE_ACCEPT if message.endswith("'websocket.send'") else NOT_A_MESSAGE
    if message.startswith('Expected ASGI message "websocket.send" or "websocket.close"'):
        return NOT_A_MESSAGE
    if message.startswith('WebSocket is not connected. Need to call "accept" first.'):
        # After an accept, Starlette says this once the endpoint itself has closed the connection.
        return SEND_AFTER_CLOSE if accepted else RECEIVED_BEFORE_ACCEPT
    if message.startswith('Cannot call "send" once a close message has been sent.'):
        return SEND_AFTER_CLOSE
    if message.startswith('Cannot call "receive" once a disconnect message has been received.'):
        return RECEIVE_AFTER_DISCONNECT
    if kind in ("TypeError", "KeyError", "AttributeError") and _SEND_CALL.search(source):
        return NOT_A_MESSAGE
    return ""
