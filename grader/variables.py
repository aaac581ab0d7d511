"""The learner's own variables, read from their frames and rendered without running their code. Runs in the sandbox.

Display only: the platform shows these beside the lesson's variable tracker, and no verdict reads them.
Rendering never calls a method the learner could have written (``__repr__``, ``__str__``, ``__getattr__``,
properties, ``__len__``, metaclass hooks): a value of a class we do not know is shown from its instance
``__dict__``, read through the interpreter's own descriptor, and everything is cut to a few items and
characters, so a huge, cyclic or booby-trapped value can neither hang the endpoint nor flood the bridge.
"""

from __future__ import annotations

import asyncio
import collections
import enum
import itertools
import types
from collections.abc import Iterable
from typing import Any

from starlette.endpoints import WebSocketEndpoint
from starlette.websockets import WebSocket, WebSocketState

MAX_VARIABLES = 12
MAX_TEXT = 120
_MAX_ITEMS = 6
_MAX_DEPTH = 3
_MAX_INT_BITS = 256
_MAX_CHAIN = 200  # coroutines awaiting coroutines; real stacks are a few dozen deep
_NOT_SHOWN = (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType, type)

# Bound to type's own descriptors: ``cls.__name__`` would go through a learner metaclass's __getattribute__.
_type_name = type.__dict__["__name__"].__get__
_type_namespace = type.__dict__["__dict__"].__get__
_type_mro = type.__dict__["__mro__"].__get__
_exception_args = BaseException.__dict__["args"].__get__
_STATE_WORDS = {
    WebSocketState.CONNECTING: "connecting",
    WebSocketState.CONNECTED: "connected",
    WebSocketState.DISCONNECTED: "closed",
    WebSocketState.RESPONSE: "denied",
}


def frames_on_stack(filename: str, frame: types.FrameType | None) -> list[types.FrameType]:
    """The learner's frames on the running stack from ``frame`` outwards, innermost first."""
    found = []
    while frame is not None:
        if frame.f_code.co_filename == filename:
            found.append(frame)
        frame = frame.f_back
    return found


def frames_of_task(filename: str, task: asyncio.Task[Any]) -> list[types.FrameType]:
    """The learner's frames of a suspended task, innermost first, following what each coroutine awaits."""
    if type(task) is not asyncio.Task or task.done():  # a learner's Task subclass could override get_coro
        return []
    found = []
    awaitable: Any = task.get_coro()
    for _ in range(_MAX_CHAIN):
        kind = type(awaitable)
        if kind is types.CoroutineType:
            frame, awaitable = awaitable.cr_frame, awaitable.cr_await
        elif kind is types.GeneratorType:
            frame, awaitable = awaitable.gi_frame, awaitable.gi_yieldfrom
        else:
            break  # a future, or an async generator's anext: the frames above it are what the learner wrote
        if frame is None:
            break
        if frame.f_code.co_filename == filename:
            found.append(frame)
    found.reverse()
    return found


def snapshot(frames: list[types.FrameType]) -> dict[str, str]:
    """Name -> rendered value over the learner's frames, innermost first: a helper's ``message`` beside the
    endpoint's ``data``; where both define a name, the innermost (running) one wins."""
    values: dict[str, str] = {}
    for frame in frames:
        for name, value in list(frame.f_locals.items()):
            if type(name) is not str or name in values or name.startswith("__") or not name.isidentifier():
                continue
            if issubclass(type(value), _NOT_SHOWN):
                continue
            values[name] = show(value)
            if len(values) >= MAX_VARIABLES:
                return values
    return values


def show(value: Any) -> str:
    """A bounded, repr-like rendering of ``value`` that runs none of the learner's code."""
    return _clip(_render(value, 0))


def _render(value: Any, depth: int) -> str:
    kind = type(value)
    if value is None or kind is bool or kind is float or kind is complex:
        return repr(value)
    if kind is WebSocket:
        return _show_websocket(value)
    if issubclass(kind, enum.Enum):
        name = _attributes(value).get("_name_")
        return f"{_type_name(kind)}.{name if type(name) is str else '?'}"
    if issubclass(kind, int):
        bits = int.bit_length(value)
        return int.__repr__(value) if bits <= _MAX_INT_BITS else f"<int of {bits} bits>"
    if issubclass(kind, float):
        return float.__repr__(value)
    if issubclass(kind, str):
        return str.__repr__(str.__getitem__(value, slice(0, MAX_TEXT)))
    if issubclass(kind, (bytes, bytearray)):
        head = (
            bytes.__getitem__(value, slice(0, MAX_TEXT))
            if issubclass(kind, bytes)
            else bytes(bytearray.__getitem__(value, slice(0, MAX_TEXT)))
        )
        return repr(head) if kind is bytes else f"{_type_name(kind)}({head!r})"
    if depth >= _MAX_DEPTH:
        return "…"
    if issubclass(kind, dict):
        pairs = (f"{_render(k, depth + 1)}: {_render(v, depth + 1)}" for k, v in dict.items(value))
        return _named(kind, dict, "{" + _join(pairs) + "}")
    for base, opening, closing in _SEQUENCES:
        if issubclass(kind, base):
            items = (_render(item, depth + 1) for item in base.__iter__(value))
            body = _join(items)
            if base is tuple and tuple.__len__(value) == 1:
                body += ","
            if base in (set, frozenset) and not body:
                return f"{_type_name(kind)}()"
            return _named(kind, base, opening + body + closing)
    if issubclass(kind, BaseException):
        fields = _attributes(value)
        inside = (
            _join(f"{k}={_render(v, depth + 1)}" for k, v in fields.items() if type(k) is str)
            if fields
            else _join(_render(a, depth + 1) for a in _exception_args(value))
        )
        return f"{_type_name(kind)}({inside})"
    if issubclass(kind, _NOT_SHOWN):
        return f"<{_type_name(kind)}>"
    fields = _attributes(value)
    if not fields:
        return f"<{_type_name(kind)} object>"
    hidden = _ENDPOINT_FIELDS if issubclass(kind, WebSocketEndpoint) else ()
    return (
        f"{_type_name(kind)}("
        + _join(
            f"{k}={_render(v, depth + 1)}"
            for k, v in fields.items()
            if type(k) is str and not k.startswith("_") and k not in hidden
        )
        + ")"
    )


_ENDPOINT_FIELDS = ("scope", "receive", "send")  # what Starlette stores on a class endpoint: not the learner's


_SEQUENCES: list[tuple[type[Any], str, str]] = [
    (list, "[", "]"),
    (tuple, "(", ")"),
    (set, "{", "}"),
    (frozenset, "frozenset({", "})"),
    (collections.deque, "deque([", "])"),
]


def _named(kind: type[Any], base: type[Any], body: str) -> str:
    """A subclass of a container shows its class name around the base's rendering, as its repr would."""
    return body if kind is base else f"{_type_name(kind)}({body})"


def _join(parts: Iterable[str]) -> str:
    shown: list[str] = []
    length = 0
    for part in itertools.islice(parts, _MAX_ITEMS + 1):
        if len(shown) == _MAX_ITEMS or length > MAX_TEXT:
            shown.append("…")
            break
        shown.append(part)
        length += len(part) + 2
    return ", ".join(shown)


def _attributes(value: Any) -> dict[Any, Any]:
    """The instance ``__dict__``, read only through CPython's own ``__dict__`` descriptor; ``{}`` otherwise."""
    for klass in _type_mro(type(value)):
        descriptor = _type_namespace(klass).get("__dict__")
        if descriptor is None:
            continue
        if type(descriptor) is not types.GetSetDescriptorType:
            return {}  # a class defining its own __dict__ attribute: reading it would run their code
        namespace = descriptor.__get__(value)
        return namespace if type(namespace) is dict else {}
    return {}


def _show_websocket(websocket: WebSocket) -> str:
    fields = _attributes(websocket)
    states = [fields.get("client_state"), fields.get("application_state")]
    if any(state is WebSocketState.DISCONNECTED for state in states):
        return "WebSocket (closed)"
    state = states[0]
    word = _STATE_WORDS.get(state, "?") if type(state) is WebSocketState else "?"
    return f"WebSocket ({word})"


def _clip(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"
