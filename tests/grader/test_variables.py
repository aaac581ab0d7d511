"""Rendering the learner's variables (``grader/variables.py``) and keeping the bridge's copy honest.

Learner values are hostile: nothing here may run their ``__repr__``, ``__getattr__``, properties or
metaclass hooks, and every rendering is cut to size however big or cyclic the value is.
"""

from __future__ import annotations

import asyncio
import time
import types
from typing import Any

import pytest
from starlette.endpoints import WebSocketEndpoint
from starlette.websockets import WebSocket, WebSocketState

from grader.bridge import ConnectionRecord, _note_variables
from grader.variables import MAX_TEXT, MAX_VARIABLES, frames_of_task, frames_on_stack, show, snapshot

LEARNER_FILE = "submission.py"


class Tripwire(Exception):
    pass


class Trap:
    """Every hook a renderer might reach for raises: the test fails if any of them runs."""

    def __init__(self) -> None:
        self.name = "kept"
        self.count = 3

    def __repr__(self) -> str:
        raise Tripwire("__repr__ ran")

    def __str__(self) -> str:
        raise Tripwire("__str__ ran")

    def __getattr__(self, name: str) -> Any:
        raise Tripwire(f"__getattr__({name}) ran")

    def __len__(self) -> int:
        raise Tripwire("__len__ ran")

    def __iter__(self) -> Any:
        raise Tripwire("__iter__ ran")

    @property
    def client_state(self) -> Any:
        raise Tripwire("a property ran")


class LoudMeta(type):
    def __getattribute__(cls, name: str) -> Any:
        raise Tripwire(f"metaclass __getattribute__({name}) ran")


class Sneaky(metaclass=LoudMeta):
    pass


class OwnDict:
    @property
    def __dict__(self) -> Any:  # type: ignore[override]
        raise Tripwire("a __dict__ property ran")


class LyingStr(str):
    def __repr__(self) -> str:
        raise Tripwire("a str subclass's __repr__ ran")


class LyingDict(dict[str, int]):
    def items(self) -> Any:
        raise Tripwire("a dict subclass's items ran")


def _websocket() -> WebSocket:
    async def receive() -> Any:
        return {}

    async def send(message: Any) -> None:
        return None

    return WebSocket({"type": "websocket", "path": "/ws", "headers": []}, receive, send)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("Hello", "'Hello'"),
        (5, "5"),
        (None, "None"),
        (True, "True"),
        (1.5, "1.5"),
        (b"\x89PNG", "b'\\x89PNG'"),
        ({"seq": 1, "text": "Hello"}, "{'seq': 1, 'text': 'Hello'}"),
        ([1, "a"], "[1, 'a']"),
        ((1,), "(1,)"),
        (set(), "set()"),
        (WebSocketState.CONNECTED, "WebSocketState.CONNECTED"),
        (LyingStr("abc"), "'abc'"),
        (LyingDict(a=1), "LyingDict({'a': 1})"),
    ],
)
def test_plain_values_read_like_their_repr(value: Any, shown: str) -> None:
    assert show(value) == shown


def test_hostile_objects_are_shown_from_their_fields_without_running_their_code() -> None:
    assert show(Trap()) == "Trap(name='kept', count=3)"
    assert show([Trap()]) == "[Trap(name='kept', count=3)]"
    assert show(Sneaky()) == "<Sneaky object>"
    assert show(OwnDict()) == "<OwnDict object>"
    assert show(Tripwire("boom")) == "Tripwire('boom')"


def test_a_websocket_shows_its_state() -> None:
    websocket = _websocket()
    assert show(websocket) == "WebSocket (connecting)"
    websocket.client_state = WebSocketState.CONNECTED
    websocket.application_state = WebSocketState.CONNECTED
    assert show(websocket) == "WebSocket (connected)"
    websocket.application_state = WebSocketState.DISCONNECTED
    assert show(websocket) == "WebSocket (closed)"
    websocket.client_state = Trap()  # type: ignore[assignment]
    websocket.application_state = Trap()  # type: ignore[assignment]
    assert show(websocket) == "WebSocket (?)"


def test_a_class_endpoint_hides_what_starlette_stores_on_it() -> None:
    class Echo(WebSocketEndpoint):
        encoding = "text"

    endpoint = Echo({"type": "websocket"}, _websocket().receive, _websocket().send)
    endpoint.greeting = "hi"  # type: ignore[attr-defined]
    assert show(endpoint) == "Echo(greeting='hi')"


def test_huge_and_cyclic_values_are_cut_short_quickly() -> None:
    cyclic: list[Any] = []
    cyclic.append(cyclic)
    nested: dict[str, Any] = {}
    for _ in range(1000):
        nested = {"inner": nested, "pad": "x" * 50}
    huge = {str(i): list(range(1000)) for i in range(10_000)}
    started = time.perf_counter()
    shown = [show("x" * 1_000_000), show(10**5000), show(cyclic), show(nested), show(huge), show(b"\x00" * 10**6)]
    assert time.perf_counter() - started < 0.5
    assert all(len(text) <= MAX_TEXT for text in shown), shown
    assert shown[0].endswith("…") and shown[1].startswith("<int of ")
    assert shown[2].startswith("[[[") and "…" in shown[2]


def test_snapshot_skips_modules_functions_and_classes_and_stops_at_the_limit() -> None:
    def frame_with_locals() -> types.FrameType:
        module, helper, klass = types, show, Trap  # noqa: F841 - locals the snapshot must skip
        data = "Hello"  # noqa: F841
        many = {f"v{i}": i for i in range(3)}  # noqa: F841
        import sys

        return sys._getframe()

    values = snapshot([frame_with_locals()])
    assert values["data"] == "'Hello'" and values["many"] == "{'v0': 0, 'v1': 1, 'v2': 2}"
    assert not {"module", "helper", "klass", "sys"} & set(values)

    crowd = (
        "def crowd():\n"
        + "".join(f"    v{i} = {i}\n" for i in range(30))
        + "    import sys\n    return sys._getframe()\n"
    )
    namespace: dict[str, Any] = {}
    exec(compile(crowd, LEARNER_FILE, "exec"), namespace)
    assert len(snapshot([namespace["crowd"]()])) == MAX_VARIABLES


LEARNER_CODE = """
import asyncio
import sys

async def helper(ready, gate):
    message = "from the helper"
    ready.set()
    await gate.wait()

async def endpoint(ready, gate, seen):
    data = "Hello"
    seen.append(sys._getframe())
    await helper(ready, gate)
"""


def test_frames_are_found_on_the_stack_and_in_a_suspended_task_innermost_first() -> None:
    namespace: dict[str, Any] = {}
    exec(compile(LEARNER_CODE, LEARNER_FILE, "exec"), namespace)

    async def scenario() -> tuple[dict[str, str], dict[str, str], list[str]]:
        ready, gate, seen = asyncio.Event(), asyncio.Event(), []
        task = asyncio.create_task(namespace["endpoint"](ready, gate, seen))
        await ready.wait()
        suspended = frames_of_task(LEARNER_FILE, task)
        during = snapshot(suspended)
        gate.set()
        await task
        on_stack = frames_on_stack(LEARNER_FILE, seen[0])
        return during, snapshot(on_stack), [f.f_code.co_name for f in suspended]

    during, after, names = asyncio.run(scenario())
    assert names == ["helper", "endpoint"]
    assert during["message"] == "'from the helper'" and during["data"] == "'Hello'"
    assert after["data"] == "'Hello'"  # a finished frame keeps its locals
    assert frames_of_task(LEARNER_FILE, None) == []  # type: ignore[arg-type]


def test_the_bridge_keeps_the_newest_report_and_checks_a_forged_one() -> None:
    record = ConnectionRecord("client")
    _note_variables({"t": "send", "taken": 2, "seq": 2, "paused": False, "vars": {"data": "'Hello'"}}, record)
    assert record.latest_variables == {"data": "'Hello'"} and record.variables == {} and record.settled == 0
    _note_variables({"t": "wait", "taken": 2, "seq": 3, "paused": True, "vars": {"data": "'Hello'"}}, record)
    assert record.variables == {"data": "'Hello'"} and record.settled == 2
    _note_variables({"t": "vars", "taken": 9, "seq": 1, "paused": True, "vars": {"data": "'stale'"}}, record)
    assert record.variables == {"data": "'Hello'"} and record.settled == 2  # older than what it has
    forged = {
        "t": "vars",
        "taken": 3,
        "seq": 4,
        "paused": True,
        "vars": {"data": ["not", "text"], "x" * 500: "y" * 5000, **{f"v{i}": "1" for i in range(50)}},
    }
    _note_variables(forged, record)
    assert "data" not in record.variables and len(record.variables) <= 12
    assert all(len(k) <= 40 and len(v) <= 160 for k, v in record.variables.items())
    for bad in ({"taken": "3", "seq": 9, "vars": {}}, {"taken": 3, "seq": True, "vars": {}}, {"taken": 3, "seq": 10}):
        _note_variables(bad, record)
    assert record.snapshot == 4 and record.settled == 3
