"""Each row of a graded trace carries the learner's own variables as they are at the end of that row.

The lesson's variable tracker says, for example, that ``data`` holds the client's message "after step 4",
the row where the client sends it; the learner's trace beside it must say the same at the same row, for
every style of endpoint (bare function, router, class endpoint, helpers, ``iter_text``) and whether the
endpoint pauses in a send, a receive or somewhere else. The values are display only and rendered
without running the learner's code.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.exercise import Exercise
from grader.grading import grade_source
from grader.limits import Limits
from grader.loader import find_exercise
from grader.payloads import lesson_values
from grader.results import Results, StepStatus
from grader.sandbox import Sandbox
from grader.variables import show

EXERCISES = Path(__file__).resolve().parents[2] / "exercises"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(Limits(step_timeout=1.0)) as sb:
        yield sb


def _grade(slug: str, code: str, sandbox: Sandbox) -> tuple[Exercise, Results]:
    exercise = find_exercise(slug)
    results = grade_source(exercise, code, sandbox=sandbox, seed=7)
    report = "\n".join(f"{s.n} {s.status} {s.message} {s.variables}" for s in results.steps)
    assert results.passed, report
    return exercise, results


def _file(slug: str, name: str) -> str:
    return (EXERCISES / slug / name).read_text(encoding="utf-8")


def _at(results: Results, row: int) -> dict[str, str]:
    return results.steps[row - 1].variables


def _lesson(exercise: Exercise, payload: str) -> str:
    """How the tracker shows a lesson payload: derived from the exercise, not typed in again."""
    return show(lesson_values(exercise.payloads)[payload])


# (exercise, file, row the message arrives in, variable, payload it holds then)
ARRIVALS = [
    ("echo-once", "solution.py", 4, "data", "data"),
    ("echo-once", "styles/bare_function.py", 4, "data", "data"),
    ("echo-once", "styles/router.py", 4, "data", "data"),
    ("echo-once", "styles/endpoint_class.py", 4, "data", "data"),
    ("echo-once", "styles/helper_function.py", 4, "data", "data"),
    ("echo-once", "styles/helper_class.py", 4, "data", "data"),
    ("echo-once", "styles/iter_text.py", 4, "data", "data"),
    ("echo-loop", "solution.py", 4, "data", "data"),
    ("echo-loop", "solution.py", 7, "data", "more"),
    ("echo-loop", "styles/endpoint_class.py", 7, "data", "more"),
    ("echo-loop", "styles/iter_text.py", 7, "data", "more"),
    ("close-codes", "solution.py", 3, "data", "data"),
    ("items-auth", "solution.py", 5, "data", "data"),
    ("items-auth", "solution.py", 10, "data", "more"),
    ("subprotocol-denial", "solution.py", 7, "data", "data"),
    ("subprotocol-denial", "solution.py", 11, "data", "more"),
    ("chat-broadcast", "solution.py", 4, "data", "data"),
    ("chat-broadcast", "solution.py", 10, "data", "reply"),
    ("binary-frames", "styles/endpoint_class.py", 6, "data", "blob"),
]


@pytest.mark.parametrize(("slug", "name", "row", "variable", "payload"), ARRIVALS)
def test_a_received_value_shows_at_the_row_it_arrives(
    slug: str, name: str, row: int, variable: str, payload: str, sandbox: Sandbox
) -> None:
    exercise, results = _grade(slug, _file(slug, name), sandbox)
    assert _at(results, row).get(variable) == _lesson(exercise, payload), _at(results, row)
    before = _at(results, row - 1).get(variable)
    assert before != _lesson(exercise, payload), f"row {row - 1} already shows the value of row {row}"


def test_echo_once_matches_the_lessons_tracker_row_by_row(sandbox: Sandbox) -> None:
    exercise, results = _grade("echo-once", _file("echo-once", "solution.py"), sandbox)
    hello = _lesson(exercise, "data")
    assert [_at(results, n).get("data") for n in range(1, 8)] == [None, None, None, hello, hello, hello, hello]
    assert all(_at(results, n)["websocket"] == "WebSocket (connected)" for n in range(1, 8))


def test_a_json_message_and_a_parse_failure_show_where_the_lesson_puts_them(sandbox: Sandbox) -> None:
    exercise, results = _grade("json-messages", _file("json-messages", "solution.py"), sandbox)
    values = lesson_values(exercise.payloads)
    first = show({"seq": values["seq"], "text": values["data"]})
    assert _at(results, 3).get("message") is None
    assert _at(results, 4)["message"] == first
    assert _at(results, 6)["message"] == first  # the bad JSON raised before message was reassigned
    assert _at(results, 9)["message"] == show({"seq": values["seq"]})


def test_a_close_shows_the_message_that_caused_it_and_the_closed_socket(sandbox: Sandbox) -> None:
    _, results = _grade("close-codes", _file("close-codes", "solution.py"), sandbox)
    assert _at(results, 5) == {"websocket": "WebSocket (closed)", "data": "'bye'"}
    assert _at(results, 9)["data"] == "'Buy cheap spam today'"


def test_a_client_leaving_shows_the_endpoint_after_its_except_clause(sandbox: Sandbox) -> None:
    exercise, results = _grade("echo-loop", _file("echo-loop", "solution.py"), sandbox)
    assert _at(results, 8)["websocket"] == "WebSocket (connected)"
    assert _at(results, 9) == {"websocket": "WebSocket (closed)", "data": _lesson(exercise, "more")}


def test_a_broadcast_does_not_put_the_senders_variables_on_the_receivers_row(sandbox: Sandbox) -> None:
    exercise, results = _grade("chat-broadcast", _file("chat-broadcast", "solution.py"), sandbox)
    values = lesson_values(exercise.payloads)
    bob = _at(results, 7)  # Bob receives Alice's message; Bob's own endpoint has received nothing yet
    assert bob["client_id"] == show(values["bob_id"]) and "data" not in bob
    assert _at(results, 4)["client_id"] == show(values["alice_id"])


PAUSES_ELSEWHERE = """
import asyncio

from fastapi import FastAPI, WebSocket

app = FastAPI()
lock = asyncio.Lock()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    reply = f"Message text was: {data}"
    await asyncio.sleep(0.6)  # paused neither in a send nor in a receive
    async with lock:
        await websocket.send_text(reply)
"""


def test_an_endpoint_paused_in_another_await_still_shows_the_row_it_received_in(sandbox: Sandbox) -> None:
    exercise, results = _grade("echo-once", PAUSES_ELSEWHERE, sandbox)
    row = _at(results, 4)
    assert row["data"] == _lesson(exercise, "data")
    assert row["reply"] == show(f"Message text was: {lesson_values(exercise.payloads)['data']}")
    assert results.steps[3].status is StepStatus.PASSED


BOOBY_TRAPPED = """
import os

from fastapi import FastAPI, WebSocket

app = FastAPI()


class Trap:
    def __init__(self):
        self.label = "mine"

    def __repr__(self):
        while True:  # a grader that called this would hang the endpoint
            pass

    def __getattr__(self, name):
        os._exit(3)

    @property
    def client_state(self):
        os._exit(4)


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    trap = Trap()
    traps = [trap, {"again": trap}]
    await websocket.accept()
    data = await websocket.receive_text()
    await websocket.send_text(f"Message text was: {data}")
"""


def test_learner_reprs_and_attribute_hooks_never_run(sandbox: Sandbox) -> None:
    exercise, results = _grade("echo-once", BOOBY_TRAPPED, sandbox)
    row = _at(results, 4)
    assert row["trap"] == "Trap(label='mine')"
    assert row["traps"] == "[Trap(label='mine'), {'again': Trap(label='mine')}]"
    assert row["data"] == _lesson(exercise, "data")
