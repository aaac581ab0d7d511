"""The trace runner's own bookkeeping (the checks' verdicts are in the golden and hostile suites)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from grader.grading import grade_source
from grader.limits import Limits
from grader.loader import find_exercise
from grader.results import StepStatus
from grader.sandbox import Sandbox

STEP_TIMEOUT = 1.0


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(Limits(step_timeout=STEP_TIMEOUT)) as sb:
        yield sb


def test_a_hanging_app_costs_one_step_timeout(sandbox: Sandbox) -> None:
    """A row that delivers a message waits (up to a second) for the app to pause and show its variables;
    for an app that blocks the event loop that wait runs out, and the row's time says so. The next row's step
    timeout runs from the delivery, so the hang costs one step timeout in all, not that plus the wait."""
    exercise = find_exercise("echo-once")
    code = """
import time

from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    time.sleep(30)  # noqa: ASYNC251 - the hang under test
    await websocket.send_text(data)
"""
    results = grade_source(exercise, code, sandbox=sandbox, seed=3)
    delivered, processed = results.steps[3], results.steps[4]
    assert delivered.status is StepStatus.PASSED and processed.status is StepStatus.TIMEOUT
    assert delivered.duration_ms >= 0.9 * STEP_TIMEOUT * 1000
    assert delivered.duration_ms + processed.duration_ms < 1.5 * STEP_TIMEOUT * 1000
    assert "1 s" in processed.actual  # still "nothing within" the whole step timeout, counted from the delivery
