"""What crossed the wire in each row (``StepResult.frames``) and where the endpoint paused (``paused_line``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from grader.bridge import ConnectionRecord, _note_variables
from grader.formats import Format, render
from grader.grading import grade_source
from grader.limits import Limits
from grader.loader import find_exercise
from grader.peer import Event, Handshake
from grader.results import FRAME_PAYLOAD_LIMIT, FRAMES_PER_STEP, Frame, Results, Status, StepResult, StepStatus
from grader.sandbox import Sandbox
from grader.wire import WireLog


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(Limits(step_timeout=1.0)) as sb:
        yield sb


def _shape(frame: Frame) -> tuple[Any, ...]:
    return (frame.client, frame.direction, frame.type, frame.payload, frame.code)


# -- the whole run ---------------------------------------------------------------------------------


def test_echo_once_records_each_frame_in_the_row_that_judges_it(sandbox: Sandbox) -> None:
    exercise = find_exercise("echo-once")
    code = exercise.source(exercise.reference)
    results = grade_source(exercise, code, sandbox=sandbox, seed=7)
    assert results.passed, results.message
    rows = [[_shape(f) for f in step.frames] for step in results.steps]
    assert rows == [
        [("client", "to_server", "connect", "/ws", None)],
        [("client", "to_client", "accept", None, None)],
        [],
        [("client", "to_server", "text", "Hello", None)],
        [],  # the reply was seen here, but it is the next row's to judge
        [("client", "to_client", "text", "Message text was: Hello", None)],
        [("client", "to_client", "close", None, 1000)],
    ]
    receive_line = 1 + code.splitlines().index("    data = await websocket.receive_text()")
    assert results.steps[2].paused_line == receive_line  # waiting for the message
    assert results.steps[0].paused_line in (None, receive_line)


def test_frames_reach_the_json_format_and_stay_out_of_gradescope_and_exercism(sandbox: Sandbox) -> None:
    exercise = find_exercise("json-messages")
    results = grade_source(exercise, exercise.source(exercise.reference), sandbox=sandbox, seed=7)
    assert results.passed, results.message
    sent = results.steps[3].frames
    assert [(f.direction, f.type) for f in sent] == [("to_server", "json")]
    assert isinstance(json.loads(sent[0].payload or ""), dict)
    replied = results.steps[4].frames
    assert [(f.direction, f.type) for f in replied] == [("to_client", "json")]
    document = json.loads(render(Format.JSON, [results]))
    assert document["steps"][4]["frames"][0]["type"] == "json"
    assert "frames" not in render(Format.GRADESCOPE, [results])
    assert "frames" not in render(Format.EXERCISM, [results], exercise=exercise)


def test_a_failing_row_keeps_what_it_saw(sandbox: Sandbox) -> None:
    exercise = find_exercise("echo-once")
    code = """
from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    await websocket.send_text("Welcome!")
    data = await websocket.receive_text()
    await websocket.send_text(f"Message text was: {data}")
"""
    results = grade_source(exercise, code, sandbox=sandbox, seed=7)
    failed = results.failed_step()
    assert failed is not None and failed.n == 3
    assert [_shape(f) for f in failed.frames] == [("client", "to_client", "text", "Welcome!", None)]


def test_a_flood_is_bounded_per_row_and_per_payload(sandbox: Sandbox) -> None:
    exercise = find_exercise("echo-once")
    code = """
from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    await websocket.send_text("x" * 5000)
    await websocket.send_text(f"Message text was: {data}")
"""
    results = grade_source(exercise, code, sandbox=sandbox, seed=7)
    failed = results.failed_step()
    assert failed is not None and failed.n == 6
    (frame,) = failed.frames
    assert frame.truncated and frame.payload == "x" * FRAME_PAYLOAD_LIMIT


def test_a_forged_paused_line_never_leaves_the_file(sandbox: Sandbox) -> None:
    """Learner code writes its own variables reports with lines outside the file: none is kept.

    The forged frames carry no frame number, so the grader takes them for a protocol breach and ends
    the run there (a forgery can only fail its own author); whatever the verdict, no row names a line
    that is not in the file."""
    exercise = find_exercise("echo-once")
    code = """
import gc
import socket
import struct
import json

from fastapi import FastAPI, WebSocket

app = FastAPI()


def forge(line):
    for obj in gc.get_objects():
        if type(obj) is socket.socket and obj.family == socket.AF_UNIX and obj.type == socket.SOCK_STREAM:
            data = json.dumps({"t": "vars", "taken": 99, "seq": 10**9, "paused": True, "vars": {}, "line": line})
            try:
                obj.send(struct.pack(">I", len(data)) + data.encode())
            except OSError:
                pass


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    forge(10**6)
    data = await websocket.receive_text()
    forge(-3)
    await websocket.send_text(f"Message text was: {data}")
"""
    results = grade_source(exercise, code, sandbox=sandbox, seed=7)
    assert not results.passed
    assert "something other than the grader's relay wrote to its connection" in results.message
    lines = len(code.splitlines())
    for step in results.steps:
        assert step.paused_line is None or 1 <= step.paused_line <= lines, step


# -- the bridge's check of a reported line -----------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "kept"),
    [(5, 5), (1, 1), (20, 20), (21, None), (0, None), (-1, None), (True, None), ("5", None), (5.0, None), (None, None)],
)
def test_the_bridge_keeps_only_a_line_of_the_file(line: Any, kept: int | None) -> None:
    record = ConnectionRecord("client", source_lines=20)
    _note_variables({"t": "vars", "taken": 1, "seq": 1, "paused": True, "vars": {}, "line": line}, record)
    assert record.paused_line == kept


def test_a_report_that_is_not_a_pause_moves_no_line() -> None:
    record = ConnectionRecord("client", source_lines=20)
    _note_variables({"t": "vars", "taken": 1, "seq": 1, "paused": True, "vars": {}, "line": 4}, record)
    _note_variables({"t": "send", "taken": 1, "seq": 2, "paused": False, "vars": {}, "line": 9}, record)
    assert record.paused_line == 4


# -- the log itself -------------------------------------------------------------------------------------


def test_the_log_keeps_at_most_the_rows_limit() -> None:
    log = WireLog()
    for index in range(FRAMES_PER_STEP + 10):
        log.sent_text("client", f"m{index}")
    frames = log.end_row(passed=True)
    assert len(frames) == FRAMES_PER_STEP
    assert frames[-1].payload == f"m{FRAMES_PER_STEP - 1}"
    assert log.end_row(passed=True) == []


def test_bytes_are_hex_and_long_payloads_are_cut() -> None:
    log = WireLog()
    log.sent_bytes("client", b"\x89PNG")
    log.sent_text("client", "é" * (FRAME_PAYLOAD_LIMIT + 1))
    log.sent_json("client", {"a": [1, 2]})
    first, second, third = log.end_row(passed=True)
    assert (first.type, first.payload, first.truncated) == ("bytes", "89504e47", False)
    assert second.truncated and second.payload == "é" * FRAME_PAYLOAD_LIMIT
    assert (third.type, third.payload) == ("json", '{"a":[1,2]}')


def test_a_message_handed_back_moves_to_the_row_that_reads_it_unless_the_row_fails() -> None:
    log = WireLog()
    reply = Event("message", {"type": "websocket.send", "text": "hi"})
    log.read("client", reply)
    log.unread("client", reply)
    assert log.end_row(passed=True) == []
    log.read("client", reply)
    assert [f.payload for f in log.end_row(passed=True)] == ["hi"]

    other = Event("message", {"type": "websocket.send", "text": "late"})
    log.read("client", other)
    log.unread("client", other)
    assert [f.payload for f in log.end_row(passed=False)] == ["late"]


def test_a_close_is_recorded_once_per_connection() -> None:
    log = WireLog()
    log.handshake("client", Handshake("accepted", subprotocol="v2"))
    log.handshake("client", Handshake("accepted", subprotocol="v2"))
    close = Event("close", {"type": "websocket.close", "code": 1008, "reason": "bye"})
    log.read("client", close)
    log.unread("client", close)
    log.read("client", Event("close", {"type": "websocket.close", "code": 1008}))
    frames = log.end_row(passed=True)
    assert [(f.type, f.subprotocol, f.code, f.reason) for f in frames] == [
        ("accept", "v2", None, None),
        ("close", None, 1008, "bye"),
    ]


def test_handshake_answers_are_frames_of_their_kind() -> None:
    log = WireLog()
    log.handshake("a", Handshake("denied", status=403, body=b"Forbidden"))
    log.handshake("b", Handshake("closed", code=1008, reason="no token"))
    log.handshake("c", Handshake("timeout"))
    frames = log.end_row(passed=True)
    assert [(f.client, f.type, f.code, f.payload, f.reason) for f in frames] == [
        ("a", "deny", 403, "Forbidden", None),
        ("b", "close", 1008, None, "no token"),
    ]


def test_learner_text_in_frames_is_cleaned_and_the_result_round_trips() -> None:
    log = WireLog()
    log.read("client", Event("message", {"type": "websocket.send", "text": "\x1b[2J\udc80"}))
    (frame,) = log.end_row(passed=True)
    assert frame.payload == "\\x1b[2J\\udc80"
    results = Results(
        exercise="echo-once",
        submission="s.py",
        status=Status.FAILED,
        score=0.0,
        max_score=1.0,
        steps=[StepResult(n=1, title="t", status=StepStatus.FAILED, frames=[frame], paused_line=3)],
    )
    assert Results.model_validate_json(results.model_dump_json()) == results
