"""Play an exercise's trace against a sandboxed child, one execution-table row at a time.

The runner performs each check of a row (``grader/checks.py``) and judges what the client observed; the
words it says are in ``grader/feedback.py``. A new check kind is a model there, a ``case`` in
``TraceRun._perform`` with its handler here, and its sentences in the feedback module.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple, assert_never
from urllib.parse import urlencode

from starlette.testclient import TestClient

from grader import _linux, checks
from grader import feedback as say
from grader.bridge import Bridge
from grader.exercise import Exercise, TraceStep
from grader.payloads import Values, render, render_bytes, render_json, render_pattern
from grader.peer import Event, Peer
from grader.results import StepResult, StepStatus
from grader.wire import WireLog

_OPEN_WINDOW = 0.15  # how long "open or closed" watches for a close when the app is neither waiting nor done
# After the app closes a connection, how long to wait for its run to end before judging the close: an app
# that closes and then raises (Starlette's WebSocketEndpoint on bad JSON) reports the error just after.
_CLOSE_SETTLE = 0.25
# How long a passed row waits for the app to report its variables after taking the row's messages (or the
# client's disconnect). The child reports as soon as the app pauses again or ends (milliseconds), so this only
# runs out when the app blocks the event loop or leaves the messages unread; generous for a loaded machine.
_REPORT_WINDOW = 1.0
# While a window of silence runs and the sandbox is not yet quiet, how often to look again (doubling up to the
# longer figure): the kernel's facts are cheap to read, a few dozen microseconds.
_QUIET_POLL = (0.0005, 0.01)


class StepFailure(Exception):
    def __init__(self, status: StepStatus, expected: str, actual: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.expected = expected
        self.actual = actual
        self.message = message


class Observed(NamedTuple):
    """What one passed check expected and what the client saw ("" leaves it out of the row)."""

    expected: str
    actual: str


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
        # Per client, the most messages the app had taken when it last reported waiting for the next one. An
        # app can only leave that receive by taking another message, so while the client has sent nothing
        # more, the app is still waiting, even when a reply sent from another task arrived after the report.
        self.waited: dict[str, int] = {}
        self.wire = WireLog()  # what crossed the wire in each row, for the learner's replay (display only)
        names = {a.client for row in exercise.execution_table for a in row.check}
        self.many_clients = len(names) > 1
        self.budget = timeout  # what the check under way may wait (less for a row's first check: see _run_row)
        self.carried = 0.0  # seconds the app has been waited for to pause, counted against the next row
        # When the app began to keep the grader waiting for a pause that has not come yet (None: it paused, or
        # its connection ended). Rows that pass on what is already there keep it: one step's time in all.
        self.stalled_since: float | None = None

    # -- the trace ---------------------------------------------------------------------------

    def run(self, on_step: Callable[[StepResult], None] | None = None) -> list[StepResult]:
        results: list[StepResult] = []
        broken = False
        try:
            for row in self.exercise.execution_table:
                if broken:
                    result = StepResult(n=row.n, title=row.action, status=StepStatus.SKIPPED, message=say.SKIPPED)
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
        # A passed row's wait for the app to pause (below) counts towards the next row's first check: a step's
        # time runs from the message's delivery, so an app that hangs on a message costs one step timeout.
        self.budget = self.timeout - self.carried
        self.carried = 0.0
        try:
            for action in row.check:
                if time.monotonic() > self.deadline:
                    raise StepFailure(
                        StepStatus.TIMEOUT,
                        say.TRACE_TIMEOUT_EXPECTED,
                        say.TRACE_TIMEOUT_ACTUAL,
                        say.TRACE_TIMEOUT_MESSAGE,
                    )
                expected, actual = self._perform(action)
                self.budget = self.timeout
                if expected:
                    expected_parts.append(expected)
                if actual:
                    actual_parts.append(actual)
        except StepFailure as failure:
            self.budget = self.timeout
            variables = self._variables(row)
            return StepResult(
                n=row.n,
                title=row.action,
                status=failure.status,
                expected=failure.expected,
                actual=failure.actual,
                message=failure.message + self._mistake(row, failure.message),
                duration_ms=_ms(started),
                variables=variables,
                frames=self.wire.end_row(passed=False),
                paused_line=self._paused_line(row),
            )
        # The wait for the app to pause (see _settle_variables) is part of the row's time: a hanging app's extra
        # wait shows in the row that delivered the message, not in no row at all. While the app stays unpaused,
        # later rows that pass on what already arrived (an accept sent before it blocked) add no time of their
        # own: from the moment it was first waited for, it gets one step's time to pause, not one per row.
        settling = time.monotonic()
        since = settling if self.stalled_since is None else self.stalled_since
        variables, stalled = self._settle_variables(row, max(0.0, self.timeout - (settling - since)))
        self.stalled_since = since if stalled else None
        self.carried = time.monotonic() - since
        return StepResult(
            n=row.n,
            title=row.action,
            status=StepStatus.PASSED,
            expected="; ".join(expected_parts),
            actual="; ".join(actual_parts),
            message="",
            duration_ms=_ms(started),
            variables=variables,
            frames=self.wire.end_row(passed=True),
            paused_line=self._paused_line(row),
        )

    def _mistake(self, row: TraceStep, message: str) -> str:
        """A known beginner's mistake behind this failure, named with its fix, unless the message already
        says it: one place for every check, since the same mistake surfaces at different rows."""
        for name in dict.fromkeys(action.client for action in row.check):
            record = self.peers[name].record if name in self.peers else None
            if record is None:
                continue
            hint = say.mistake_hint(record.error, record.violation, accepted=record.accepted)
            if hint:
                return "" if say.already_said(hint, message) else hint
        return ""

    def _paused_line(self, row: TraceStep) -> int | None:
        """Where the learner's endpoint was paused after this row, as the child last reported it (display only;
        the bridge checked it is a line of the file). Read after ``_variables``, which waits for the report."""
        peer = self.peers.get(row.check[-1].client)
        return peer.record.paused_line if peer is not None and peer.record is not None else None

    def _variables(self, row: TraceStep) -> dict[str, str]:
        """The learner's variables at the end of a failed row (display only): the freshest there are."""
        peer = self.peers.get(row.check[-1].client)
        if peer is None or peer.record is None:
            return {}
        return dict(peer.record.latest_variables)

    def _settle_variables(self, row: TraceStep, left: float) -> tuple[dict[str, str], bool]:
        """The learner's variables at the end of a passed row (display only: read after the verdict is decided),
        and whether the app is stalled: its connection still open, it did not pause within the wait.

        A row that delivers a message ends before the app has even read it, so a passed row first waits
        (briefly, and at most ``left`` seconds) until the app has taken everything this client sent and paused
        again, and shows its variables then; otherwise the value the lesson shows "after step 4" would only
        appear at step 5.
        """
        peer = self.peers.get(row.check[-1].client)
        if peer is None or peer.record is None:
            return {}, False
        record = peer.record
        window = min(_REPORT_WINDOW, self.timeout, self.deadline - time.monotonic(), left)
        if record.wait_for_pause(peer.delivered, max(0.0, window)):
            return dict(record.variables or record.latest_variables), False
        ended = record.done.is_set() or record.closed is not None or record.denied is not None
        return dict(record.latest_variables), not ended  # still busy: the freshest there is

    # -- dispatch ----------------------------------------------------------------------------

    def _perform(self, action: checks.Action) -> Observed:
        peer = self._peer(action.client)
        match action:
            case checks.Connect():
                return self._connect(action, peer)
            case checks.ExpectAccept():
                return self._expect_accept(action, peer)
            case checks.ExpectClose():
                return self._expect_close(action, peer)
            case checks.ExpectDenial():
                return self._expect_denial(action, peer)
            case checks.ExpectWaiting():
                return self._expect_waiting(peer)
            case checks.ExpectHandled():
                return self._expect_handled(peer)
            case checks.SendText():
                return self._send_text(action, peer)
            case checks.SendBytes():
                return self._send_bytes(action, peer)
            case checks.SendJson():
                return self._send_json(action, peer)
            case checks.ExpectText():
                return self._expect_text(action, peer)
            case checks.ExpectBytes():
                return self._expect_bytes(action, peer)
            case checks.ExpectJson():
                return self._expect_json(action, peer)
            case checks.ExpectNoMessage():
                return self._expect_no_message(action, peer)
            case checks.Close():
                return self._close(action, peer)
            case checks.ExpectFinished():
                return self._expect_finished(peer)
            case checks.ExpectOpenOrClosed():
                return self._expect_open_or_closed(peer)
            case _:
                assert_never(action)

    # -- helpers -----------------------------------------------------------------------------

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

    def _prefix(self, peer: Peer) -> str:
        return f"Client {peer.name}: " if self._named(peer) else ""

    def _step_timeout(self) -> float:
        return max(0.05, min(self.budget, self.deadline - time.monotonic()))

    def _crash_note(self, peer: Peer) -> str:
        return say.crash_note(peer.record, self.context.describe_exit)

    def _handshake_actual(self, peer: Peer) -> str:
        return say.handshake_actual(peer.handshake, peer.record, self.timeout, self.context.describe_exit)

    def _accepted(self, peer: Peer) -> bool:
        return peer.session is not None and peer.handshake is not None and peer.handshake.outcome == "accepted"

    def _require_open(self, peer: Peer, doing: str) -> None:
        self.wire.handshake(peer.name, peer.handshake)
        if not self._accepted(peer):
            raise StepFailure(
                StepStatus.FAILED,
                say.open_expected(doing),
                say.NO_OPEN_CONNECTION,
                say.never_accepted(self._prefix(peer), doing),
            )
        if peer.closed_by_server:
            raise StepFailure(
                StepStatus.FAILED,
                say.open_expected(doing),
                say.closed_by_endpoint_actual(peer._close_code()),
                say.already_closed(self._prefix(peer), doing, self._crash_note(peer)),
            )

    def _require_open_or_pending(self, peer: Peer, expected: str) -> None:
        self.wire.handshake(peer.name, peer.handshake)
        if not self._accepted(peer):
            raise StepFailure(
                StepStatus.FAILED,
                expected,
                say.NO_OPEN_CONNECTION,
                say.expected_but_never_accepted(self._prefix(peer), expected),
            )

    def _crashes_elsewhere(self, peer: Peer) -> str:
        errors = [
            (other.name, other.record.error)
            for other in self.peers.values()
            if other is not peer and other.record is not None and other.record.error
        ]
        return say.crashes_elsewhere(errors)

    def _settle(self, peer: Peer) -> None:
        """Give a closed connection's run a moment to end (once per connection: a run still going after
        that is judged as it is)."""
        record = peer.record
        if record is not None and id(record) not in self.settled and not record.done.is_set():
            self.settled.add(id(record))
            record.done.wait(min(_CLOSE_SETTLE, self._step_timeout()))

    def _close_actual(self, peer: Peer, event: Event) -> str:
        self._settle(peer)
        record = peer.record
        synthetic = record is not None and record.synthetic_close
        return say.close_actual(event.code, event.reason, self._crash_note(peer), synthetic)

    def _broken(self, peer: Peer) -> bool:
        """The connection's run ended badly: it raised, broke the protocol, or its process was lost."""
        record = peer.record
        return record is not None and bool(record.error or record.violation or record.lost)

    # -- connect and the handshake -----------------------------------------------------------

    def _connect(self, action: checks.Connect, peer: Peer) -> Observed:
        path = render(action.path or self.exercise.endpoint.path, self.values)
        self.offered[peer.name] = [render(s, self.values) for s in action.subprotocols]
        self.waited.pop(peer.name, None)
        query = {k: render(v, self.values) for k, v in action.query.items()}
        self.wire.connect(peer.name, path + (("?" + urlencode(query)) if query else ""), self.offered[peer.name])
        peer.connect(
            path,
            query=query,
            headers={k: render(v, self.values) for k, v in action.headers.items()},
            cookies={k: render(v, self.values) for k, v in action.cookies.items()},
            subprotocols=[render(s, self.values) for s in action.subprotocols],
            timeout=self._step_timeout(),
        )
        record = peer.record
        assert record is not None
        expected = say.connect_expected(path)
        if record.route_known and record.route is None:
            found = say.declared_routes(self.context.routes)
            raise StepFailure(
                StepStatus.FAILED,
                expected,
                say.declared_actual(found),
                say.no_route(path, found, self.exercise.endpoint.path),
            )
        if not record.route_known and record.lost:
            exit_description = self.context.describe_exit()
            raise StepFailure(StepStatus.ERROR, expected, exit_description, say.never_reached(exit_description))
        return Observed(expected, say.reached(record.route or path))

    def _expect_accept(self, action: checks.ExpectAccept, peer: Peer) -> Observed:
        expected = say.accept_expected(action.subprotocol)
        self.wire.handshake(peer.name, peer.handshake)
        actual = self._handshake_actual(peer)
        handshake = peer.handshake
        if handshake is None or handshake.outcome != "accepted":
            status = (
                StepStatus.TIMEOUT if handshake is not None and handshake.outcome == "timeout" else StepStatus.FAILED
            )
            hint = say.accept_hint(handshake, peer.record)
            raise StepFailure(status, expected, actual, say.not_accepted(self._prefix(peer), actual, hint))
        if action.subprotocol is not None and handshake.subprotocol != render(action.subprotocol, self.values):
            message = say.wrong_subprotocol(action.subprotocol, handshake.subprotocol, self.offered.get(peer.name, []))
            raise StepFailure(StepStatus.FAILED, expected, actual, message)
        return Observed(expected, actual)

    def _expect_denial(self, action: checks.ExpectDenial, peer: Peer) -> Observed:
        expected = say.denial_expected(action.status)
        self.wire.handshake(peer.name, peer.handshake)
        handshake = peer.handshake
        actual = self._handshake_actual(peer)
        if handshake is None or handshake.outcome != "denied":
            raise StepFailure(StepStatus.FAILED, expected, actual, say.not_denied(action.status, actual))
        if handshake.status != action.status:
            raise StepFailure(
                StepStatus.FAILED, expected, actual, say.wrong_denial_status(action.status, handshake.status)
            )
        body = handshake.body.decode("utf-8", errors="replace")
        if action.body_pattern is not None and not re.search(render_pattern(action.body_pattern, self.values), body):
            raise StepFailure(
                StepStatus.FAILED,
                expected,
                say.denial_body_actual(actual, body),
                say.wrong_denial_body(body, action.body_pattern),
            )
        return Observed(expected, actual)

    # -- expect_close: how it closed, then whether that is the close the lesson wants ---------

    def _expect_close(self, action: checks.ExpectClose, peer: Peer) -> Observed:
        reason = render(action.reason, self.values) if action.reason is not None else None
        expected = say.close_expected(action.code, reason, action.before_accept)
        code, got_reason = self._observed_close(action, peer, expected)
        actual = say.closed_actual(code, got_reason)
        self._settle(peer)
        self._judge_close(action, peer, reason, (code, got_reason), expected, actual)
        self._judge_stopped_after_refusal(peer, expected, actual)
        return Observed(expected, actual)

    def _observed_close(self, action: checks.ExpectClose, peer: Peer, expected: str) -> tuple[int, str]:
        """The code and reason the server closed with, in the handshake or after accepting."""
        self.wire.handshake(peer.name, peer.handshake)
        handshake = peer.handshake
        when = say.close_when(action.before_accept)
        if handshake is not None and handshake.outcome != "accepted" and action.before_accept is not False:
            if handshake.outcome != "closed":
                raise StepFailure(
                    StepStatus.TIMEOUT if handshake.outcome == "timeout" else StepStatus.FAILED,
                    expected,
                    self._handshake_actual(peer),
                    say.handshake_not_closed(
                        when,
                        self._handshake_actual(peer),
                        denied_but_code_wanted=handshake.outcome == "denied" and action.code is not None,
                    ),
                )
            return handshake.code, handshake.reason
        if action.before_accept:
            actual = self._handshake_actual(peer)
            raise StepFailure(StepStatus.FAILED, expected, actual, say.accepted_not_refused(when, actual))
        event = self._next_non_wait(peer, self._step_timeout())
        if event.kind == "timeout":
            raise StepFailure(
                StepStatus.TIMEOUT,
                expected,
                say.nothing_within(self.timeout),
                say.close_never_came(self._prefix(peer), self.timeout),
            )
        if event.kind == "message":
            what = say.describe_message(event.message)
            raise StepFailure(StepStatus.FAILED, expected, what, say.sent_instead_of_close(self._prefix(peer), what))
        return event.code, event.reason

    def _judge_close(
        self,
        action: checks.ExpectClose,
        peer: Peer,
        reason: str | None,
        got: tuple[int, str],
        expected: str,
        actual: str,
    ) -> None:
        code, got_reason = got
        problems = []
        if action.code is not None and code != action.code:
            problems.append(say.wrong_close_code(code, action.code))
        if reason is not None and got_reason != reason:
            problems.append(say.wrong_close_reason(got_reason, reason))
        if action.reason_pattern is not None and not re.search(
            render_pattern(action.reason_pattern, self.values), got_reason
        ):
            problems.append(say.close_reason_mismatch(got_reason, action.reason_pattern))
        if not problems:
            return
        note = self._crash_note(peer)
        error = peer.record.error if peer.record is not None else None
        raise StepFailure(
            StepStatus.FAILED,
            expected,
            say.close_mismatch_actual(actual, note),
            say.close_mismatch(self._prefix(peer), note, problems, error),
        )

    def _judge_stopped_after_refusal(self, peer: Peer, expected: str, actual: str) -> None:
        """The client was refused as expected, but did the endpoint run on past the refusal? Its body then ran
        without credentials, which a guard is there to prevent. (After accepting, a later row checks that the
        run ends cleanly.)"""
        record = peer.record
        handshake = peer.handshake
        if record is None or not record.error or handshake is None or handshake.outcome != "closed":
            return
        error = say.describe_error(record.error)
        raise StepFailure(
            StepStatus.FAILED,
            expected,
            say.ran_on_actual(actual, error),
            say.ran_on_after_refusal(self._prefix(peer), error),
        )

    # -- the server's state between messages -------------------------------------------------

    def _expect_waiting(self, peer: Peer) -> Observed:
        expected = say.WAITING_EXPECTED
        self._require_open(peer, say.WAITING_DOING)
        if self._still_waiting(peer):
            return Observed(expected, say.WAITING_ACTUAL)
        while True:
            event = self._next_event(peer, self._step_timeout())
            match event.kind:
                case "wait":
                    if event.taken >= peer.sent:
                        return Observed(expected, say.WAITING_ACTUAL)
                case "message":
                    what = say.describe_message(event.message)
                    raise StepFailure(
                        StepStatus.FAILED, expected, say.sent_actual(what), say.spoke_first(self._prefix(peer), what)
                    )
                case "close":
                    self._push_back(peer, event)
                    actual = self._close_actual(peer, event)
                    raise StepFailure(StepStatus.FAILED, expected, actual, say.closed_instead_of_waiting(actual))
                case "timeout" if self._paused_elsewhere(peer):
                    raise StepFailure(
                        StepStatus.TIMEOUT,
                        expected,
                        say.paused_elsewhere_actual(self.timeout),
                        say.paused_instead_of_waiting(self.timeout),
                    )
                case "timeout":
                    raise StepFailure(
                        StepStatus.TIMEOUT,
                        expected,
                        say.not_waiting_actual(self.timeout),
                        say.still_busy(self.timeout),
                    )
                case _:
                    assert_never(event.kind)

    def _expect_handled(self, peer: Peer) -> Observed:
        expected = say.HANDLED_EXPECTED
        self._require_open(peer, say.HANDLED_DOING)
        while True:
            event = self._next_event(peer, self._step_timeout())
            match event.kind:
                case "wait":
                    if event.taken >= peer.sent:
                        return Observed(expected, say.HANDLED_WAITS)
                case "message":
                    self._push_back(peer, event)
                    return Observed(expected, say.HANDLED_ANSWERED)
                case "close":
                    self._push_back(peer, event)
                    self._settle(peer)
                    if self._broken(peer):
                        actual = self._close_actual(peer, event)
                        status = StepStatus.ERROR if peer.record and peer.record.lost else StepStatus.FAILED
                        raise StepFailure(status, expected, actual, say.crashed_while_handling(actual))
                    return Observed(expected, self._close_actual(peer, event))
                case "timeout" if self._paused_elsewhere(peer):
                    raise StepFailure(
                        StepStatus.TIMEOUT,
                        expected,
                        say.paused_elsewhere_actual(self.timeout),
                        say.paused_with_message(self.timeout),
                    )
                case "timeout":
                    raise StepFailure(
                        StepStatus.TIMEOUT,
                        expected,
                        say.still_busy_actual(self.timeout),
                        say.busy_with_message(self.timeout),
                    )
                case _:
                    assert_never(event.kind)

    def _expect_open_or_closed(self, peer: Peer) -> Observed:
        expected = say.OPEN_OR_CLOSED_EXPECTED
        self._require_open_or_pending(peer, expected)
        end = time.monotonic() + min(_OPEN_WINDOW, self._step_timeout())
        while True:
            event = self._next_or_quiet(peer, end)
            if event.kind == "wait" and event.taken < peer.sent:
                continue
            break
        if event.kind in ("wait", "timeout"):
            return Observed(expected, say.STAYS_OPEN)
        self._push_back(peer, event)
        if event.kind == "message":
            return Observed(expected, say.STAYS_OPEN)
        self._settle(peer)
        if self._broken(peer):
            actual = self._close_actual(peer, event)
            raise StepFailure(StepStatus.FAILED, expected, actual, say.unclean_end(actual))
        return Observed(expected, say.closed_cleanly(event.code))

    def _expect_finished(self, peer: Peer) -> Observed:
        expected = say.FINISHED_EXPECTED
        record = peer.record
        if record is None:
            raise StepFailure(StepStatus.FAILED, expected, say.NO_CONNECTION, say.NOTHING_TO_FINISH)
        if not record.done.wait(self._step_timeout()):
            raise StepFailure(
                StepStatus.TIMEOUT,
                expected,
                say.still_running_actual(self.timeout),
                say.never_finished(self.timeout),
            )
        if record.error:
            error = say.describe_error(record.error)
            closed_itself = peer.closed_by_server and self._handshake_was_accepted(peer)
            hint = say.finish_hint(record.error, closed_itself=closed_itself, many_clients=self.many_clients)
            raise StepFailure(StepStatus.FAILED, expected, say.raised_actual(error), say.unclean_finish(error, hint))
        if record.violation or record.lost:
            what = record.violation or self.context.describe_exit()
            raise StepFailure(StepStatus.ERROR, expected, what, say.broken_finish(what))
        return Observed(expected, say.FINISHED_ACTUAL)

    def _handshake_was_accepted(self, peer: Peer) -> bool:
        return peer.handshake is not None and peer.handshake.outcome == "accepted"

    # -- what the client sends ---------------------------------------------------------------

    def _send_text(self, action: checks.SendText, peer: Peer) -> Observed:
        text = render(action.text, self.values)
        observed = self._send(peer, {"type": "websocket.receive", "text": text}, say.text_sent(text))
        self.wire.sent_text(peer.name, text)
        return observed

    def _send_bytes(self, action: checks.SendBytes, peer: Peer) -> Observed:
        data = bytes.fromhex(action.hex) if action.hex is not None else render_bytes(action.data or "", self.values)
        observed = self._send(peer, {"type": "websocket.receive", "bytes": data}, say.bytes_sent(data))
        self.wire.sent_bytes(peer.name, data)
        return observed

    def _send_json(self, action: checks.SendJson, peer: Peer) -> Observed:
        value = render_json(action.json_, self.values)
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        message: dict[str, Any] = (
            {"type": "websocket.receive", "text": text}
            if action.mode == "text"
            else {"type": "websocket.receive", "bytes": text.encode()}
        )
        observed = self._send(peer, message, say.json_sent(value))
        self.wire.sent_json(peer.name, value)
        return observed

    def _send(self, peer: Peer, message: dict[str, Any], what: str) -> Observed:
        self._require_open(peer, say.send_doing(what))
        peer.send(message)
        return Observed("", say.who_sent(self._who(peer), what))

    def _close(self, action: checks.Close, peer: Peer) -> Observed:
        self._require_open(peer, say.CLOSE_DOING)
        reason = render(action.reason, self.values)
        peer.close(action.code, reason)
        self.wire.client_closed(peer.name, action.code, reason)
        return Observed("", say.who_closed(self._who(peer), action.code))

    # -- what the server sends ---------------------------------------------------------------

    def _next_event(self, peer: Peer, timeout: float) -> Event:
        event = peer.next_event(timeout)
        if event.kind == "wait":
            # Never more than the client sent: a forged report cannot vouch for messages not yet delivered.
            self.waited[peer.name] = max(self.waited.get(peer.name, 0), min(event.taken, peer.sent))
        self.wire.read(peer.name, event)
        return event

    def _push_back(self, peer: Peer, event: Event) -> None:
        """Leave ``event`` for the next check of this client to read."""
        peer.push_back(event)
        self.wire.unread(peer.name, event)

    def _next_non_wait(self, peer: Peer, timeout: float) -> Event:
        deadline = time.monotonic() + timeout
        while True:
            event = self._next_event(peer, max(0.0, deadline - time.monotonic()))
            if event.kind != "wait":
                return event

    def _still_waiting(self, peer: Peer) -> bool:
        """The app reported waiting after taking everything this client sent (perhaps before a reply that
        another of its tasks sent, which an earlier check has read)."""
        return self.waited.get(peer.name, -1) >= peer.sent

    def _paused_elsewhere(self, peer: Peer) -> bool:
        """After taking everything this client sent, the app paused in an await that is not a receive: the
        event loop is idle, the endpoint is not reading. (From the child's variables reports, which learner
        code can forge: this only chooses the wording of a failure, never a verdict.)"""
        record = peer.record
        return record is not None and record.settled >= peer.sent

    def _next_reply(self, peer: Peer, expected: str) -> Event:
        self._require_open_or_pending(peer, expected)
        event = self._next_non_wait(peer, self._step_timeout())
        if event.kind == "timeout":
            alone = not self.many_clients
            waiting = say.waiting_instead(
                idle=alone and (peer.idle or self._still_waiting(peer)),
                paused=alone and self._paused_elsewhere(peer),
            )
            raise StepFailure(
                StepStatus.TIMEOUT,
                expected,
                say.nothing_within(self.timeout),
                say.no_reply(self._prefix(peer), expected, self.timeout, waiting, self._crashes_elsewhere(peer)),
            )
        if event.kind == "close":
            self._push_back(peer, event)
            actual = self._close_actual(peer, event)
            raise StepFailure(
                StepStatus.FAILED, expected, actual, say.expected_but(self._prefix(peer), expected, actual)
            )
        return event

    def _expect_text(self, action: checks.ExpectText, peer: Peer) -> Observed:
        if action.equals is not None:
            want = render(action.equals, self.values)
            expected = say.text_expected_equals(want)
        elif action.contains is not None:
            want = render(action.contains, self.values)
            expected = say.text_expected_contains(want)
        else:
            want = render_pattern(action.pattern or "", self.values)
            expected = say.text_expected_pattern(action.pattern or "")
        message = self._next_reply(peer, expected).message or {}
        actual = say.describe_message(message)
        text = message.get("text")
        if text is None:
            raise StepFailure(
                StepStatus.FAILED,
                expected,
                actual,
                say.expected_but_received(self._prefix(peer), expected, actual, say.USE_SEND_TEXT),
            )
        if not _text_matches(action, want, text):
            hint = say.TEXT_AS_JSON if say.json_quoted_text(text) else ""
            raise StepFailure(
                StepStatus.FAILED,
                expected,
                actual,
                say.expected_but_received(self._prefix(peer), expected, actual, hint),
            )
        return Observed(expected, actual)

    def _expect_bytes(self, action: checks.ExpectBytes, peer: Peer) -> Observed:
        want = bytes.fromhex(action.hex) if action.hex is not None else render_bytes(action.equals or "", self.values)
        expected = say.bytes_expected(want)
        message = self._next_reply(peer, expected).message or {}
        actual = say.describe_message(message)
        if message.get("bytes") != want:
            hint = say.bytes_hint(got_text=message.get("text") is not None)
            raise StepFailure(
                StepStatus.FAILED,
                expected,
                actual,
                say.expected_but_received(self._prefix(peer), expected, actual, hint),
            )
        return Observed(expected, actual)

    def _expect_json(self, action: checks.ExpectJson, peer: Peer) -> Observed:
        want = render_json(action.equals if action.equals is not None else action.subset, self.values)
        expected = say.json_expected(want, exact=action.equals is not None)
        event = self._next_reply(peer, expected)
        message = event.message or {}
        value = _json_of(message, action.mode)
        if value is not _NOT_JSON:
            self.wire.as_json(event, value)
        if value is _NOT_JSON:
            actual = say.describe_message(message)
            why = say.not_json(binary_where_text=message.get("bytes") is not None and action.mode == "text")
            raise StepFailure(
                StepStatus.FAILED,
                expected,
                actual,
                say.expected_but_received(self._prefix(peer), expected, actual, why),
            )
        actual = say.json_actual(value)
        if not _json_matches(action, want, value):
            hint = say.ENCODED_TWICE if say.json_of_json(value) is not None else ""
            raise StepFailure(
                StepStatus.FAILED,
                expected,
                actual,
                say.expected_but_received(self._prefix(peer), expected, actual, hint),
            )
        return Observed(expected, actual)

    def _expect_no_message(self, action: checks.ExpectNoMessage, peer: Peer) -> Observed:
        expected = say.no_message_expected(action.within)
        self._require_open_or_pending(peer, expected)
        end = time.monotonic() + min(action.within, self._step_timeout())
        while True:
            event = self._next_or_quiet(peer, end)
            if event.kind != "wait":
                break
        if event.kind == "timeout":
            return Observed(expected, say.NOTHING_ARRIVED)
        self._push_back(peer, event)
        actual = say.describe_message(event.message) if event.kind == "message" else self._close_actual(peer, event)
        raise StepFailure(StepStatus.FAILED, expected, actual, say.unexpected_message(self._prefix(peer), actual))

    # -- windows of silence ------------------------------------------------------------------

    def _next_or_quiet(self, peer: Peer, end: float) -> Event:
        """The next event for this client before ``end`` (monotonic), or a timeout: when ``end`` passes, or
        earlier, as soon as nothing can ever reach this client again without the grader's doing (``_quiet``).
        Then the rest of the window would have passed in silence too: ending it early changes no verdict.
        """
        pause = _QUIET_POLL[0]
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return Event("timeout")
            if peer.has_unread():
                return self._next_event(peer, left)
            if self._quiet(peer):
                return Event("timeout")
            time.sleep(min(pause, left))
            pause = min(pause * 2, _QUIET_POLL[1])

    def _quiet(self, peer: Peer) -> bool:
        """Whether the sandbox can no longer send anything unless the grader writes to it first.

        Trust: this rests only on the kernel's facts and the grader's own bookkeeping, never on what the child
        reports (its "wait" frames are forgeable, and an app that claims to wait and then sends late would fail
        a real client's window of silence). The kernel shows the child's only process, with one thread, blocked
        in epoll with no timeout, with no timer, child process or descriptor that could wake it by itself
        (``_linux.blocked_forever``, ``_linux.nothing_scheduled``); the bridge shows that nothing it wrote or
        was written waits on the way and that this client has read everything that came (``Bridge.drained``);
        and the kernel's count of the thread's context switches, equal before and after, shows it did not run
        in between. Then whatever it sent before is already in front of the runner, and it can only wake when
        the grader writes, which it does not during the window. Anything unsure (another thread, a timer, a
        subprocess, /proc unreadable, no pid namespace) is "not quiet": the window is played out in full.
        """
        record = peer.record
        portal = self.client.portal
        pid = self.bridge.child.host_pid()
        if record is None or portal is None or pid is None:
            return False
        before = _linux.blocked_forever(pid)
        if before is None or not _linux.nothing_scheduled(pid):
            return False
        bridge = self.bridge

        def drained() -> bool:  # on the grading loop, where the bridge's bookkeeping is whole
            return bridge.drained() and record.queued == record.read

        if not portal.call(drained):
            return False
        return _linux.blocked_forever(pid) == before


_NOT_JSON = object()


def _text_matches(action: checks.ExpectText, want: str, text: str) -> bool:
    if action.equals is not None:
        return text == want
    if action.contains is not None:
        return want in text
    return re.fullmatch(want, text) is not None


def _json_of(message: dict[str, Any], mode: str) -> Any:
    """The JSON value a message carries in the frames ``mode`` allows, or ``_NOT_JSON``."""
    raw = message.get("text") if mode != "binary" else None
    if raw is None and mode != "text" and message.get("bytes") is not None:
        raw = message["bytes"].decode("utf-8", errors="replace")
    if raw is None:
        return _NOT_JSON
    try:
        return json.loads(raw)
    except ValueError:
        return _NOT_JSON


def _json_matches(action: checks.ExpectJson, want: Any, value: Any) -> bool:
    if action.equals is not None:
        return bool(value == want)
    return isinstance(value, dict) and all(k in value and value[k] == v for k, v in want.items())


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
