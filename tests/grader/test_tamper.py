"""Submissions that patch the grader's modules inside the sandbox cannot change what is reported."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from grader import Limits, Sandbox, StepStatus, find_exercise, grade_source

PATCH = """
import grader.child as child
import grader.protocol as protocol

original_emit = child._Connection.emit

async def emit(self, message):
    if message.get("t") == "done":
        message = {"t": "done", "error": None}
    await original_emit(self, message)

child._Connection.emit = emit
child.describe_exception = lambda exc, filename: None
protocol.frame = lambda message: protocol.frame.__wrapped__(message) if hasattr(protocol.frame, "__wrapped__") else b""
"""

DOCS_LOOP = """
from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    while True:
        data = await websocket.receive_text()
        await websocket.send_text(f"Message text was: {data}")
"""


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(Limits(step_timeout=1.0)) as sb:
        yield sb


def test_patching_the_relay_does_not_hide_an_escaping_disconnect(sandbox: Sandbox) -> None:
    exercise = find_exercise("echo-loop")
    plain = grade_source(exercise, DOCS_LOOP, sandbox=sandbox, seed=3)
    patched = grade_source(exercise, PATCH + DOCS_LOOP, sandbox=sandbox, seed=3)
    failed = plain.failed_step()
    assert failed is not None and "WebSocketDisconnect" in failed.message
    assert not patched.passed
    patched_failed = patched.failed_step()
    assert patched_failed is not None and patched_failed.n == failed.n
    assert patched_failed.status is StepStatus.FAILED
    assert "WebSocketDisconnect" in patched_failed.message


def test_a_correct_endpoint_still_passes_after_importing_the_grader(sandbox: Sandbox) -> None:
    exercise = find_exercise("echo-once")
    code = "import grader, grader.child, grader.runner\n" + exercise.source(exercise.reference)
    assert grade_source(exercise, code, sandbox=sandbox).passed
