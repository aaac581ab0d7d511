"""Play an exercise's trace against a sandboxed child, one execution-table row at a time."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.testclient import TestClient

from grader import checks
from grader.bridge import Bridge
from grader.exercise import Exercise, TraceStep
from grader.payloads import Values, render, render_bytes, render_json, render_pattern, show
from grader.peer import Event, Peer
from grader.results import StepResult, StepStatus

_OPEN_WINDOW = 0.15  # how long "open or closed" watches for a close when the app is neither waiting nor done
# After the app closes a connection, how long to wait for its run to end before judging the close: an app
# that closes and then raises (Starlette's WebSocketEndpoint on bad JSON) reports the error just after.
_CLOSE_SETTLE = 0.25
# How long a passed row waits for the app to report its variables after taking the row's messages (or the
# client's disconnect). The child reports as soon as the app pauses again or ends (milliseconds), so this only
# runs out when the app blocks the event loop or leaves the messages unread; generous for a loaded machine.
_REPORT_WINDOW = 1.0


class StepFailure(Exception):
    def __init__(self, status: StepStatus, expected: str, actual: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.expected = expected
        self.actual = actual
        self.message = message


@dataclass
class Context:
    """Facts about the submission the runner uses to word its messages."""

    routes: list[str]
    kind: str
    describe_exit: Callable[[], str]


class TraceRun:
    def __init__(
        self,
        exercise: Exercise,
        client: TestClient,
        bridge: Bridge,
        values: Values,
        timeout: float,
        deadline: float,
        context: Context,
    ) -> None:
        self.exercise = exercise
        self.bridge = bridge
        self.values = values
        self.timeout = timeout
        self.deadline = deadline
        self.context = context
        self.client = client
        self.peers: dict[str, Peer] = {}
        self.offered: dict[str, list[str]] = {}  # subprotocols each client offered in its handshake
        self.settled: set[int] = set()  # ids of the connection records whose end _settle already waited for
        names = {a.client for row in exercise.execution_table for a in row.check}
        self.many_clients = len(names) > 1

    # -- the trace ---------------------------------------------------------------------------

    def run(self, on_step: Callable[[StepResult], None] | None = None) -> list[StepResult]:
        results: list[StepResult] = []
        broken = False
        try:
            for row in self.exercise.execution_table:
                if broken:
                    result = StepResult(
                        n=row.n,
                        title=row.action,
                        status=StepStatus.SKIPPED,
                        message="not run: an earlier step did not pass",
                    )
                else:
                    result = self._run_row(row)
                    broken = result.status is not StepStatus.PASSED
                results.append(result)
                if on_step is not None:
                    on_step(result)
        finally:
            for peer in self.peers.values():
                peer.shutdown()
        return results

    def _run_row(self, row: TraceStep) -> StepResult:
        started = time.perf_counter()
        expected_parts: list[str] = []
        actual_parts: list[str] = []
        try:
            for action in row.check:
                if time.monotonic() > self.deadline:
                    raise StepFailure(
                        StepStatus.TIMEOUT,
                        "the whole trace to finish in time",
                        "the submission ran out of time",
                        "Your submission took longer than the grader allows for the whole trace.",
                    )
                expected, actual = self._perform(action)
                if expected:
                    expected_parts.append(expected)
                if actual:
                    actual_parts.append(actual)
        except StepFailure as failure:
            return StepResult(
                n=row.n,
                title=row.action,
                status=failure.status,
                expected=failure.expected,
                actual=failure.actual,
                message=failure.message,
                duration_ms=_ms(started),
                variables=self._variables(row),
            )
        return StepResult(
            n=row.n,
            title=row.action,
            status=StepStatus.PASSED,
            expected="; ".join(expected_parts),
            actual="; ".join(actual_parts),
            message="",
            duration_ms=_ms(started),
            variables=self._variables(row, settle=True),
        )

    def _variables(self, row: TraceStep, *, settle: bool = False) -> dict[str, str]:
        """The learner's variables at the end of this row (display only: read after the verdict is decided).

        A row that delivers a message ends before the app has even read it, so a passed row first waits
        (briefly) until the app has taken everything this client sent and paused again, and shows its
        variables then; otherwise the value the lesson shows "after step 4" would only appear at step 5.
        """
        peer = self.peers.get(row.check[-1].client)
        if peer is None or peer.record is None:
            return {}
        record = peer.record
        if settle and record.wait_for_pause(peer.delivered, min(_REPORT_WINDOW, self._step_timeout())):
            return dict(record.variables or record.latest_variables)
        return dict(record.latest_variables)  # still busy (or this row failed): the freshest there is

    # -- actions -----------------------------------------------------------------------------

    def _peer(self, name: str) -> Peer:
        peer = self.peers.get(name)
        if peer is None:
            peer = self.peers[name] = Peer(name, self.client, self.bridge)
        return peer

    def _named(self, peer: Peer) -> bool:
        # The default client is the trace's main one; "Client client:" would only add noise.
        return self.many_clients and peer.name != checks.DEFAULT_CLIENT

    def _who(self, peer: Peer) -> str:
        return f"client {peer.name} " if self._named(peer) else ""

    def _step_timeout(self) -> float:
        return max(0.05, min(self.timeout, self.deadline - time.monotonic()))

    def _perform(self, action: Any) -> tuple[str, str]:
        handler = getattr(self, "_do_" + action.kind)
        result: tuple[str, str] = handler(action, self._peer(action.client))
        return result

    def _require_open(self, peer: Peer, doing: str) -> None:
        if peer.session is None or peer.handshake is None or peer.handshake.outcome != "accepted":
            raise StepFailure(
                StepStatus.FAILED,
                f"an open connection to {doing}",
                "no open connection",
                f"{self._prefix(peer)}could not {doing}: the connection was never accepted.",
            )
        if peer.closed_by_server:
            raise StepFailure(
                StepStatus.FAILED,
                f"an open connection to {doing}",
                f"the connection was closed by your endpoint (code {peer._close_code()})",
                f"{self._prefix(peer) or 'The client '}could not {doing}: "
                f"your endpoint had already closed the connection{self._crash_note(peer)}.",
            )

    def _crash_note(self, peer: Peer) -> str:
        record = peer.record
        if record is None:
            return ""
        if record.violation:
            return f" ({record.violation})"
        if record.error:
            return f" because it raised {_describe_error(record.error)}"
        if record.lost:
            return f" because {self.context.describe_exit()}"
        return ""

    def _do_connect(self, action: checks.Connect, peer: Peer) -> tuple[str, str]:
        path = render(action.path or self.exercise.endpoint.path, self.values)
        self.offered[peer.name] = [render(s, self.values) for s in action.subprotocols]
        peer.connect(
            path,
            query={k: render(v, self.values) for k, v in action.query.items()},
            headers={k: render(v, self.values) for k, v in action.headers.items()},
            cookies={k: render(v, self.values) for k, v in action.cookies.items()},
            subprotocols=[render(s, self.values) for s in action.subprotocols],
            timeout=self._step_timeout(),
        )
        record = peer.record
        assert record is not None
        expected = f"a WebSocket route at {path}"
        if record.route_known and record.route is None:
            found = ", ".join(self.context.routes) if self.context.routes else "no WebSocket route at all"
            raise StepFailure(
                StepStatus.FAILED,
                expected,
                f"your app declares {found}",
                f"No WebSocket route of your app matches {path}. Your app declares {found}; "
                f"the lesson's endpoint is {self.exercise.endpoint.path}.",
            )
        if not record.route_known and record.lost:
            raise StepFailure(
                StepStatus.ERROR,
                expected,
                self.context.describe_exit(),
                f"The connection never reached your endpoint: {self.context.describe_exit()}.",
            )
        return expected, f"the request reached your endpoint at {record.route or path}"

    def _handshake_actual(self, peer: Peer) -> str:
        handshake = peer.handshake
        record = peer.record
        if handshake is None or record is None:
            return "no connection was attempted"
        if handshake.outcome == "accepted":
            return "the connection was accepted" + (
                f" with subprotocol {handshake.subprotocol!r}" if handshake.subprotocol else ""
            )
        if handshake.outcome == "denied":
            return f"an HTTP {handshake.status} response instead of a WebSocket"
        if handshake.outcome == "timeout":
            return f"no answer to the handshake within {self.timeout:g} s"
        if record.error:
            return f"before accepting, your endpoint raised {_describe_error(record.error)}"
        if record.violation:
            return record.violation
        if record.lost:
            return self.context.describe_exit()
        if record.synthetic_close:
            return "your endpoint returned without accepting the connection"
        refusal = _validation_refusal(handshake.reason)
        if refusal:
            return f"FastAPI refused the handshake (code {handshake.code}) before your endpoint ran: {refusal}"
        reason = f", reason {handshake.reason!r}" if handshake.reason else ""
        return f"your endpoint closed the connection before accepting it (code {handshake.code}{reason})"

    def _do_expect_accept(self, action: checks.ExpectAccept, peer: Peer) -> tuple[str, str]:
        expected = "the connection to be accepted" + (
            f" with subprotocol {action.subprotocol!r}" if action.subprotocol else ""
        )
        actual = self._handshake_actual(peer)
        handshake = peer.handshake
        if handshake is None or handshake.outcome != "accepted":
            status = (
                StepStatus.TIMEOUT if handshake is not None and handshake.outcome == "timeout" else StepStatus.FAILED
            )
            hint = (
                " Call `await websocket.accept()` before receiving or sending."
                if (handshake is not None and handshake.outcome in ("closed", "timeout"))
                else ""
            )
            record = peer.record
            if handshake is not None and handshake.outcome == "closed" and _validation_refusal(handshake.reason):
                hint = " Check the types you declared for the path and query parameters."
            elif (
                handshake is not None
                and handshake.outcome == "closed"
                and record is not None
                and not (record.error or record.violation or record.lost or record.synthetic_close)
            ):
                # It closed on purpose: the question is why this client was refused, not how to accept.
                hint = " Your endpoint (or a dependency) refused this client: check the condition that closes it."
            raise StepFailure(
                status, expected, actual, f"{self._prefix(peer)}Expected the connection to be accepted; {actual}.{hint}"
            )
        if action.subprotocol is not None and handshake.subprotocol != render(action.subprotocol, self.values):
            got = repr(handshake.subprotocol) if handshake.subprotocol else "no subprotocol"
            offered = self.offered.get(peer.name, [])
            hint = (
                f" The client offered {', '.join(map(repr, offered))}: a server must choose one of those, "
                "and a browser drops the connection when it does not."
                if handshake.subprotocol and offered and handshake.subprotocol not in offered
                else ""
            )
            raise StepFailure(
                StepStatus.FAILED,
                expected,
                actual,
                f"Expected the server to choose subprotocol {action.subprotocol!r}, but it chose {got}." + hint,
            )
        return expected, actual

    def _do_expect_close(self, action: checks.ExpectClose, peer: Peer) -> tuple[str, str]:
        parts = []
        if action.code is not None:
            parts.append(f"code {action.code}")
        reason = render(action.reason, self.values) if action.reason is not None else None
        if reason is not None:
            parts.append(f"reason {reason!r}")
        when = " before accepting" if action.before_accept else ""
        expected = f"the server to close the connection{when}" + (f" with {' and '.join(parts)}" if parts else "")
        handshake = peer.handshake
        if handshake is not None and handshake.outcome != "accepted" and action.before_accept is not False:
            if handshake.outcome != "closed":
                hint = (
                    " An HTTPException answers the handshake with an HTTP response; raise "
                    "`WebSocketException(code=...)` (or call `websocket.close(code=...)`) to close it with a code."
                    if handshake.outcome == "denied" and action.code is not None
                    else ""
                )
                raise StepFailure(
                    StepStatus.TIMEOUT if handshake.outcome == "timeout" else StepStatus.FAILED,
                    expected,
                    self._handshake_actual(peer),
                    f"Expected the connection to be closed{when}; {self._handshake_actual(peer)}.{hint}",
                )
            code, got_reason = handshake.code, handshake.reason
        elif action.before_accept:
            raise StepFailure(
                StepStatus.FAILED,
                expected,
                self._handshake_actual(peer),
                f"Expected the connection to be refused with a close{when}, but {self._handshake_actual(peer)}.",
            )
        else:
            event = peer.next_non_wait(self._step_timeout())
            if event.kind == "timeout":
                raise StepFailure(
                    StepStatus.TIMEOUT,
                    expected,
                    f"nothing within {self.timeout:g} s",
                    f"{self._prefix(peer)}Expected the server to close the connection, "
                    f"but nothing happened within {self.timeout:g} s.",
                )
            if event.kind == "message":
                raise StepFailure(
                    StepStatus.FAILED,
                    expected,
                    _describe_message(event.message),
                    f"{self._prefix(peer)}Expected the server to close the connection, "
                    f"but it sent {_describe_message(event.message)}.",
                )
            code, got_reason = event.code, event.reason
        actual = f"closed with code {code}" + (f" and reason {got_reason!r}" if got_reason else "")
        problems = []
        if action.code is not None and code != action.code:
            problems.append(f"the close code was {code}, not {action.code}")
        if reason is not None and got_reason != reason:
            problems.append(f"the reason was {got_reason!r}, not {reason!r}")
        if action.reason_pattern is not None and not re.search(
            render_pattern(action.reason_pattern, self.values), got_reason
        ):
            problems.append(f"the reason {got_reason!r} does not match {action.reason_pattern!r}")
        self._settle(peer)
        if problems:
            crash = self._crash_note(peer)
            hint = (
                " WebSocketDisconnect is what receiving raises when the client leaves; to close from the "
                "server, call `await websocket.close(code=..., reason=...)`."
                if peer.record is not None and (peer.record.error or {}).get("type") == "WebSocketDisconnect"
                else ""
            )
            raise StepFailure(
                StepStatus.FAILED,
                expected,
                actual + (f" ({crash.strip()})" if crash else ""),
                f"{self._prefix(peer)}The connection closed{crash}, but " + "; ".join(problems) + f".{hint}",
            )
        record = peer.record
        if record is not None and record.error and handshake is not None and handshake.outcome == "closed":
            # The client was refused as expected, but the endpoint ran on past the refusal: its body ran
            # without credentials, which a guard is there to prevent. (After accepting, a later row checks
            # that the run ends cleanly.)
            error = _describe_error(record.error)
            raise StepFailure(
                StepStatus.FAILED,
                expected,
                f"{actual}, then your endpoint raised {error}",
                f"{self._prefix(peer)}The connection closed as expected, but your endpoint kept "
                f"running and then raised {error}. Stop right after closing: return after "
                "`await websocket.close(...)`, or raise `WebSocketException(code=...)` from a dependency.",
            )
        return expected, actual

    def _do_expect_denial(self, action: checks.ExpectDenial, peer: Peer) -> tuple[str, str]:
        expected = f"an HTTP {action.status} response instead of a WebSocket"
        handshake = peer.handshake
        actual = self._handshake_actual(peer)
        if handshake is None or handshake.outcome != "denied":
            raise StepFailure(
                StepStatus.FAILED,
                expected,
                actual,
                f"Expected the handshake to be denied with HTTP {action.status}; {actual}.",
            )
        if handshake.status != action.status:
            raise StepFailure(
                StepStatus.FAILED,
                expected,
                actual,
                f"Expected HTTP status {action.status}, but your endpoint answered {handshake.status}.",
            )
        body = handshake.body.decode("utf-8", errors="replace")
        if action.body_pattern is not None and not re.search(render_pattern(action.body_pattern, self.values), body):
            raise StepFailure(
                StepStatus.FAILED,
                expected,
                f"{actual} with body {show(body)}",
                f"The denial's body {show(body)} does not match {action.body_pattern!r}.",
            )
        return expected, actual

    def _do_expect_waiting(self, action: checks.ExpectWaiting, peer: Peer) -> tuple[str, str]:
        expected = "the server to wait for a message without sending anything"
        self._require_open(peer, "wait for a message")
        while True:
            event = peer.next_event(self._step_timeout())
            if event.kind == "wait":
                if event.taken >= peer.sent:
                    return expected, "your endpoint is waiting for the client's message"
                continue
            if event.kind == "message":
                raise StepFailure(
                    StepStatus.FAILED,
                    expected,
                    f"your endpoint sent {_describe_message(event.message)}",
                    f"{self._prefix(peer)}Expected the server to wait for the client to speak "
                    f"first, but it sent {_describe_message(event.message)} before receiving anything.",
                )
            if event.kind == "close":
                peer.push_back(event)
                raise StepFailure(
                    StepStatus.FAILED,
                    expected,
                    self._close_actual(peer, event),
                    f"Expected the server to wait for a message, but {self._close_actual(peer, event)}.",
                )
            raise StepFailure(
                StepStatus.TIMEOUT,
                expected,
                f"neither waiting nor sending after {self.timeout:g} s",
                f"Expected the server to wait for a message with `await websocket.receive_text()`, but "
                f"after {self.timeout:g} s it was still busy (is something blocking, like time.sleep?).",
            )

    def _do_expect_handled(self, action: checks.ExpectHandled, peer: Peer) -> tuple[str, str]:
        expected = "the server to handle the message without crashing or hanging"
        self._require_open(peer, "have its message handled")
        while True:
            event = peer.next_event(self._step_timeout())
            if event.kind == "wait":
                if event.taken >= peer.sent:
                    return expected, "your endpoint handled the message and waits for the next one"
                continue
            if event.kind == "message":
                peer.push_back(event)
                return expected, "your endpoint handled the message and answered"
            if event.kind == "close":
                peer.push_back(event)
                self._settle(peer)
                record = peer.record
                if record is not None and (record.error or record.violation or record.lost):
                    raise StepFailure(
                        StepStatus.ERROR if record.lost else StepStatus.FAILED,
                        expected,
                        self._close_actual(peer, event),
                        f"Your endpoint crashed while handling the message: {self._close_actual(peer, event)}.",
                    )
                return expected, self._close_actual(peer, event)
            raise StepFailure(
                StepStatus.TIMEOUT,
                expected,
                f"still busy after {self.timeout:g} s",
                f"Your endpoint was still busy with the message after {self.timeout:g} s: something "
                f"blocks or loops forever (a blocking call such as time.sleep stops the whole server).",
            )

    def _do_send_text(self, action: checks.SendText, peer: Peer) -> tuple[str, str]:
        text = render(action.text, self.values)
        return self._send(peer, {"type": "websocket.receive", "text": text}, f"the text message {show(text)}")

    def _do_send_bytes(self, action: checks.SendBytes, peer: Peer) -> tuple[str, str]:
        data = bytes.fromhex(action.hex) if action.hex is not None else render_bytes(action.data or "", self.values)
        return self._send(peer, {"type": "websocket.receive", "bytes": data}, f"the binary message {show(data)}")

    def _do_send_json(self, action: checks.SendJson, peer: Peer) -> tuple[str, str]:
        value = render_json(action.json_, self.values)
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        message: dict[str, Any] = (
            {"type": "websocket.receive", "text": text}
            if action.mode == "text"
            else {"type": "websocket.receive", "bytes": text.encode()}
        )
        return self._send(peer, message, f"the JSON message {show(value)}")

    def _send(self, peer: Peer, message: dict[str, Any], what: str) -> tuple[str, str]:
        self._require_open(peer, f"send {what}")
        peer.send(message)
        return "", f"{self._who(peer)}sent {what}".strip()

    def _next_reply(self, peer: Peer, expected: str) -> Event:
        self._require_open_or_pending(peer, expected)
        event = peer.next_non_wait(self._step_timeout())
        if event.kind == "timeout":
            waiting = (
                " Your endpoint is waiting for another message instead of answering."
                if peer.idle and not self.many_clients
                else ""
            )
            raise StepFailure(
                StepStatus.TIMEOUT,
                expected,
                f"nothing within {self.timeout:g} s",
                f"{self._prefix(peer)}Expected {expected}, but received nothing "
                f"within {self.timeout:g} s.{waiting}{self._crashes_elsewhere(peer)}",
            )
        if event.kind == "close":
            peer.push_back(event)
            raise StepFailure(
                StepStatus.FAILED,
                expected,
                self._close_actual(peer, event),
                f"{self._prefix(peer)}Expected {expected}, but {self._close_actual(peer, event)}.",
            )
        return event

    def _require_open_or_pending(self, peer: Peer, expected: str) -> None:
        if peer.session is None or peer.handshake is None or peer.handshake.outcome != "accepted":
            raise StepFailure(
                StepStatus.FAILED,
                expected,
                "no open connection",
                f"{self._prefix(peer)}Expected {expected}, but the connection was never accepted.",
            )

    def _prefix(self, peer: Peer) -> str:
        return f"Client {peer.name}: " if self._named(peer) else ""

    def _crashes_elsewhere(self, peer: Peer) -> str:
        """Why a message may never come: with several clients, the endpoint run that should have sent it
        (another client's) may have crashed, and that is the news the learner needs."""
        errors = [
            (other.name, other.record.error)
            for other in self.peers.values()
            if other is not peer and other.record is not None and other.record.error
        ]
        if not errors:
            return ""
        crashes = [f"client {name}'s endpoint raised {_describe_error(error)}" for name, error in errors]
        departed = any(_sent_after_departure(error) for _, error in errors)
        return f" Meanwhile {'; '.join(crashes)}.{_REMOVE_DEPARTED if departed else ''}"

    def _settle(self, peer: Peer) -> None:
        """Give a closed connection's run a moment to end (once per connection: a run still going after
        that is judged as it is)."""
        record = peer.record
        if record is not None and id(record) not in self.settled and not record.done.is_set():
            self.settled.add(id(record))
            record.done.wait(min(_CLOSE_SETTLE, self._step_timeout()))

    def _close_actual(self, peer: Peer, event: Event) -> str:
        self._settle(peer)
        note = self._crash_note(peer)
        if note:
            return f"the connection closed{note}"
        record = peer.record
        if record is not None and record.synthetic_close:
            return "your endpoint returned and the connection closed"
        return f"your endpoint closed the connection (code {event.code}" + (
            f", reason {event.reason!r})" if event.reason else ")"
        )

    def _do_expect_text(self, action: checks.ExpectText, peer: Peer) -> tuple[str, str]:
        if action.equals is not None:
            want = render(action.equals, self.values)
            expected = f"the text message {show(want)}"
        elif action.contains is not None:
            want = render(action.contains, self.values)
            expected = f"a text message containing {show(want)}"
        else:
            want = render_pattern(action.pattern or "", self.values)
            expected = f"a text message matching {action.pattern!r}"
        event = self._next_reply(peer, expected)
        message = event.message or {}
        actual = _describe_message(message)
        text = message.get("text")
        if text is None:
            raise StepFailure(
                StepStatus.FAILED,
                expected,
                actual,
                f"{self._prefix(peer)}Expected {expected}, but received {actual}. Use `send_text` for text messages.",
            )
        ok = (
            text == want
            if action.equals is not None
            else want in text
            if action.contains is not None
            else re.fullmatch(want, text) is not None
        )
        if not ok:
            raise StepFailure(
                StepStatus.FAILED, expected, actual, f"{self._prefix(peer)}Expected {expected}, but received {actual}."
            )
        return expected, actual

    def _do_expect_bytes(self, action: checks.ExpectBytes, peer: Peer) -> tuple[str, str]:
        want = bytes.fromhex(action.hex) if action.hex is not None else render_bytes(action.equals or "", self.values)
        expected = f"the binary message {show(want)}"
        event = self._next_reply(peer, expected)
        message = event.message or {}
        actual = _describe_message(message)
        if message.get("bytes") != want:
            hint = " Use `send_bytes` for binary messages." if message.get("text") is not None else ""
            raise StepFailure(
                StepStatus.FAILED,
                expected,
                actual,
                f"{self._prefix(peer)}Expected {expected}, but received {actual}.{hint}",
            )
        return expected, actual

    def _do_expect_json(self, action: checks.ExpectJson, peer: Peer) -> tuple[str, str]:
        want = render_json(action.equals if action.equals is not None else action.subset, self.values)
        expected = (
            f"the JSON message {show(want)}" if action.equals is not None else f"a JSON message with {show(want)}"
        )
        event = self._next_reply(peer, expected)
        message = event.message or {}
        actual = _describe_message(message)
        raw = message.get("text") if action.mode != "binary" else None
        if raw is None and action.mode != "text" and message.get("bytes") is not None:
            raw = message["bytes"].decode("utf-8", errors="replace")
        try:
            value = json.loads(raw) if raw is not None else _NOT_JSON
        except ValueError:
            value = _NOT_JSON
        if value is _NOT_JSON:
            if message.get("bytes") is not None and action.mode == "text":
                why = (
                    ": a binary frame, where the lesson's JSON travels in text frames. Use `send_json(data)` "
                    'without mode="binary", or `send_text(json.dumps(data))`'
                )
            else:
                why = ", which is not JSON text. Use `send_json`"
            raise StepFailure(
                StepStatus.FAILED,
                expected,
                actual,
                f"{self._prefix(peer)}Expected {expected}, but received {actual}{why}.",
            )
        if action.equals is not None:
            ok = value == want
        else:
            ok = isinstance(value, dict) and all(k in value and value[k] == v for k, v in want.items())
        if not ok:
            raise StepFailure(
                StepStatus.FAILED,
                expected,
                f"the JSON message {show(value)}",
                f"{self._prefix(peer)}Expected {expected}, but received the JSON message {show(value)}.",
            )
        return expected, f"the JSON message {show(value)}"

    def _do_expect_no_message(self, action: checks.ExpectNoMessage, peer: Peer) -> tuple[str, str]:
        expected = f"no message within {action.within:g} s"
        self._require_open_or_pending(peer, expected)
        event = peer.next_non_wait(min(action.within, self._step_timeout()))
        if event.kind == "timeout":
            return expected, "nothing arrived"
        peer.push_back(event)
        actual = _describe_message(event.message) if event.kind == "message" else self._close_actual(peer, event)
        raise StepFailure(
            StepStatus.FAILED, expected, actual, f"{self._prefix(peer)}Expected no message here, but received {actual}."
        )

    def _do_close(self, action: checks.Close, peer: Peer) -> tuple[str, str]:
        self._require_open(peer, "close the connection")
        peer.close(action.code, render(action.reason, self.values))
        return "", f"{self._who(peer)}closed the connection with code {action.code}".strip()

    def _do_expect_finished(self, action: checks.ExpectFinished, peer: Peer) -> tuple[str, str]:
        expected = "the endpoint to finish cleanly after the disconnect"
        record = peer.record
        if record is None:
            raise StepFailure(StepStatus.FAILED, expected, "no connection", "There was no connection to finish.")
        if not record.done.wait(self._step_timeout()):
            raise StepFailure(
                StepStatus.TIMEOUT,
                expected,
                f"still running after {self.timeout:g} s",
                f"Expected your endpoint to return after the client left, but it was still running "
                f"after {self.timeout:g} s. Stop the loop when the client disconnects.",
            )
        if record.error:
            error = _describe_error(record.error)
            hint = ""
            if peer.closed_by_server and peer.handshake is not None and peer.handshake.outcome == "accepted":
                hint = (
                    " Your endpoint closed the connection itself and then kept using it; return (or break "
                    "out of the loop) right after `await websocket.close(...)`."
                )
            elif record.error.get("type") == "WebSocketDisconnect":
                if not _sent_after_departure(record.error):
                    hint = " Wrap the loop in `try: ... except WebSocketDisconnect: ...` so the endpoint ends cleanly."
                elif self.many_clients:
                    hint = _REMOVE_DEPARTED
                else:
                    hint = (
                        " Once the client has disconnected, stop sending: let WebSocketDisconnect end the loop "
                        "(a bare `except Exception:` catches it too)."
                    )
            raise StepFailure(
                StepStatus.FAILED,
                expected,
                f"your endpoint raised {error}",
                f"Your endpoint did not finish cleanly: it raised {error}.{hint}",
            )
        if record.violation or record.lost:
            raise StepFailure(
                StepStatus.ERROR,
                expected,
                record.violation or self.context.describe_exit(),
                f"Your endpoint did not finish cleanly: {record.violation or self.context.describe_exit()}.",
            )
        return expected, "your endpoint returned cleanly"

    def _do_expect_open_or_closed(self, action: checks.ExpectOpenOrClosed, peer: Peer) -> tuple[str, str]:
        expected = "the connection to stay open or close cleanly"
        self._require_open_or_pending(peer, expected)
        record = peer.record
        window = min(_OPEN_WINDOW, self._step_timeout())
        while True:
            event = peer.next_event(window)
            if event.kind == "wait" and event.taken < peer.sent:
                continue
            break
        if event.kind in ("wait", "timeout"):
            return expected, "the connection stays open"
        peer.push_back(event)
        if event.kind == "message":
            return expected, "the connection stays open"
        self._settle(peer)
        if record is not None and (record.error or record.violation or record.lost):
            actual = self._close_actual(peer, event)
            raise StepFailure(StepStatus.FAILED, expected, actual, f"The connection did not end cleanly: {actual}.")
        return expected, f"the connection closed cleanly (code {event.code})"


_NOT_JSON = object()
_REMOVE_DEPARTED = (
    " Remove a connection from your list as soon as its client disconnects, before sending to the others."
)


def _sent_after_departure(error: dict[str, Any]) -> bool:
    """How the child words a send to a client that had left (ClientDisconnected in child.py)."""
    return "already disconnected" in str(error.get("message", ""))


def _validation_refusal(reason: str) -> str:
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


def _describe_message(message: dict[str, Any] | None) -> str:
    message = message or {}
    if message.get("text") is not None:
        return f"the text message {show(message['text'])}"
    if message.get("bytes") is not None:
        return f"the binary (bytes) message {show(message['bytes'])}"
    return "an empty message"


def _describe_error(error: dict[str, Any]) -> str:
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


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
