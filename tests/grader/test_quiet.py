"""Windows of silence end early only when the kernel shows nothing more can come (grader/runner.py ``_quiet``).

chat-broadcast's row 9 expects Carol to receive nothing for 0.3 s. The reference ends that window at once; a
submission that sends to her late, however it schedules the send and whatever it reports, still fails there.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from grader import Sandbox, _linux, find_exercise, grade_source
from grader.exercise import Exercise
from grader.results import Results, StepStatus

SILENT_ROW = 9  # "Carol receives nothing on joining": expect_no_message within 0.3 s

_HEADER = """
import asyncio, gc, json, socket, struct, threading, time
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()
connections = []


async def broadcast(message):
    for connection in list(connections):
        await connection.send_text(message)


def forge_waiting():
    # what a submission can say about itself: "waiting" on every connection, with the relay's frame count
    for obj in gc.get_objects():
        if type(obj).__name__ == "_Connection" and not getattr(obj, "ended", False):
            obj.numbered += 1
            body = json.dumps({"t": "wait", "taken": obj.taken, "n": obj.numbered}).encode()
            sock = socket.socket(fileno=obj.sock.fileno())
            try:
                sock.sendall(struct.pack(">I", len(body)) + body)
            finally:
                sock.detach()


def alarm_through_signalfd(websocket):
    # SIGALRM blocked (so queued, not dropped, with no handler) and read from a signalfd the loop watches
    import ctypes, os, signal
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    mask = (ctypes.c_ulong * 16)()
    mask[0] = 1 << (signal.SIGALRM - 1)
    fd = ctypes.CDLL(None, use_errno=True).signalfd(-1, ctypes.byref(mask), os.O_NONBLOCK | os.O_CLOEXEC)
    assert fd >= 0, ctypes.get_errno()

    def fired():
        asyncio.get_running_loop().remove_reader(fd)
        asyncio.ensure_future(websocket.send_text("welcome"))

    asyncio.get_running_loop().add_reader(fd, fired)
    signal.setitimer(signal.ITIMER_REAL, 0.1)
"""

_ENDPOINT = """
@app.websocket("/ws/{client_id}")
async def websocket_endpoint(websocket: WebSocket, client_id: int):
    await websocket.accept()
    connections.append(websocket)
    if len(connections) == 3:
        LATE
    try:
        while True:
            data = await websocket.receive_text()
            await websocket.send_text(f"You wrote: {data}")
            await broadcast(f"Client #{client_id} says: {data}")
    except WebSocketDisconnect:
        connections.remove(websocket)
        await broadcast(f"Client #{client_id} left the chat")
"""

# Ways to greet the third client 0.1 s after it joined (a real client would see it inside the 0.3 s window).
LATE_SENDS = {
    "event_loop_timer": "asyncio.get_running_loop().call_later(0.1, lambda: asyncio.ensure_future("
    "websocket.send_text('welcome')))",
    "sleeping_task": "asyncio.ensure_future(asyncio.sleep(0.1)).add_done_callback(lambda _: "
    "asyncio.ensure_future(websocket.send_text('welcome')))",
    "forged_wait_then_timer": "forge_waiting(); asyncio.get_running_loop().call_later(0.1, lambda: "
    "asyncio.ensure_future(websocket.send_text('welcome')))",
    "thread": "threading.Thread(target=lambda loop: (time.sleep(0.1), asyncio.run_coroutine_threadsafe("
    "websocket.send_text('welcome'), loop)), args=(asyncio.get_running_loop(),), daemon=True).start()",
    "alarm_signal": "import signal; loop = asyncio.get_running_loop(); loop.add_signal_handler(signal.SIGALRM, "
    "lambda: asyncio.ensure_future(websocket.send_text('welcome'))); signal.setitimer(signal.ITIMER_REAL, 0.1)",
    "alarm_signalfd": "alarm_through_signalfd(websocket)",
    "subprocess": "import subprocess; subprocess.Popen(['python3', '-c', 'import time; time.sleep(0.1)'])",
}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as sb:
        yield sb


@pytest.fixture(scope="module")
def exercise() -> Exercise:
    return find_exercise("chat-broadcast")


def _row(results: Results, n: int) -> tuple[StepStatus, float]:
    step = next(s for s in results.steps if s.n == n)
    return step.status, step.duration_ms


def test_the_reference_ends_its_window_of_silence_early(sandbox: Sandbox, exercise: Exercise) -> None:
    code = exercise.source(exercise.reference)
    grade_source(exercise, code, sandbox=sandbox)  # warm
    results = grade_source(exercise, code, sandbox=sandbox, seed=1)
    assert results.passed, results.message
    status, duration = _row(results, SILENT_ROW)
    assert status is StepStatus.PASSED
    assert duration < 250, f"the 0.3 s window was played out ({duration} ms): the quiet sandbox was not seen"


@pytest.mark.parametrize("name", sorted(LATE_SENDS))
def test_a_late_send_still_fails_the_window(sandbox: Sandbox, exercise: Exercise, name: str) -> None:
    if name == "subprocess":
        # not a late message: a process of its own keeps the sandbox from looking quiet, and the window runs
        code = _HEADER + _ENDPOINT.replace("LATE", LATE_SENDS[name])
        results = grade_source(exercise, code, sandbox=sandbox, seed=1)
        status, duration = _row(results, SILENT_ROW)
        assert status is StepStatus.PASSED
        assert duration >= 290, duration
        return
    code = _HEADER + _ENDPOINT.replace("LATE", LATE_SENDS[name])
    results = grade_source(exercise, code, sandbox=sandbox, seed=1)
    status, _ = _row(results, SILENT_ROW)
    assert status is StepStatus.FAILED, f"{name}: {results.message}"
    assert "welcome" in next(s for s in results.steps if s.n == SILENT_ROW).actual


def test_an_ordinary_process_is_not_quiet() -> None:
    """Outside a pid namespace of its own (not pid 1) a process is never taken as quiet: an interval timer's
    signal could end it."""
    process = subprocess.Popen(
        [sys.executable, "-c", "import select; select.epoll().poll()"], stdout=subprocess.DEVNULL
    )
    try:
        for _ in range(200):
            if _linux.main_thread_idle(process.pid):
                break
            time.sleep(0.005)
        assert _linux.main_thread_idle(process.pid)
        assert _linux.blocked_forever(process.pid) is None
    finally:
        process.kill()
        process.wait()
