"""Every message of the grader's process protocol: one TypedDict per kind, told apart by ``"t"``.

Three channels carry them (``protocol`` has the framing):

* the zygote's control socket: ``config`` in, then ``ready`` or ``failed`` out; afterwards ``spawn``
  and ``kill`` in, ``spawned`` (with the child's descriptors) and ``exited`` out;
* a child's control socket: ``load`` in, ``ready`` or ``load_error`` out, then one ``connect`` (with
  the connection's socket) per client;
* each connection's frame stream, from the child: ``route``, ``wait``, ``vars``, ``send`` and, last,
  ``done``, each numbered with ``"n"`` by the relay as it sends it (the grader's side of that stream
  carries ASGI messages, encoded by ``protocol.encode_asgi``).

The side that *writes* a message builds it with these types. The trusted side never takes a received
message on trust: what the sandbox sends is read as ``dict[str, Any]``, field by field with checks
(``bridge``, ``sandbox``, ``grading``), because learner code can write to the child's sockets too. A
TypedDict there would only be a claim.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

# -- the zygote's control socket -----------------------------------------------------------------


class ZygoteConfig(TypedDict):
    t: Literal["config"]
    config: dict[str, Any]


class ZygoteReady(TypedDict):
    t: Literal["ready"]
    pid_namespace: bool


class ZygoteFailed(TypedDict):
    t: Literal["failed"]
    message: str


class Spawn(TypedDict):
    t: Literal["spawn"]
    job: int


class Kill(TypedDict):
    t: Literal["kill"]
    job: int


class Spawned(TypedDict):
    t: Literal["spawned"]
    job: int
    pid: int


class Exited(TypedDict):
    t: Literal["exited"]
    job: int
    code: int | None
    signal: int | None
    message: NotRequired[str]
    peak_rss_kb: NotRequired[int]
    cpu_s: NotRequired[float]
    grader_fault: NotRequired[bool]


# -- a child's control socket --------------------------------------------------------------------


class Load(TypedDict):
    t: Literal["load"]
    code: str
    filename: str
    path: str


class Loaded(TypedDict):
    t: Literal["ready"]
    kind: str
    name: str
    routes: list[str]


class LoadError(TypedDict):
    t: Literal["load_error"]
    kind: str
    message: str
    line: int | None


class Connect(TypedDict):
    t: Literal["connect"]
    scope: dict[str, Any]


ControlMessage = (
    ZygoteConfig | ZygoteReady | ZygoteFailed | Spawn | Kill | Spawned | Exited | Load | Loaded | LoadError | Connect
)

# -- a connection's frames, from the child -------------------------------------------------------


class Snapshot(TypedDict):
    """The endpoint's variables after it took ``taken`` messages (``line``: where it paused; display only)."""

    taken: int
    seq: int
    paused: bool
    vars: dict[str, str]
    line: int | None


class Route(TypedDict):
    t: Literal["route"]
    matched: str | None


class Wait(TypedDict):
    t: Literal["wait"]
    taken: int
    seq: NotRequired[int]
    paused: NotRequired[bool]
    vars: NotRequired[dict[str, str]]
    line: NotRequired[int | None]


class Vars(TypedDict):
    t: Literal["vars"]
    taken: int
    seq: int
    paused: bool
    vars: dict[str, str]
    line: int | None


class Send(TypedDict):
    """A message the endpoint sent, with its variables when it is the endpoint's own run that sent it."""

    t: Literal["send"]
    m: dict[str, Any]
    taken: NotRequired[int]
    seq: NotRequired[int]
    paused: NotRequired[bool]
    vars: NotRequired[dict[str, str]]
    line: NotRequired[int | None]


class AutoSend(TypedDict):
    """A message the relay sent for the endpoint, as a server would (the close after an unclosed run)."""

    t: Literal["send"]
    m: dict[str, Any]
    auto: Literal[True]


class Done(TypedDict):
    t: Literal["done"]
    error: dict[str, Any] | None  # the exception that ended the run, described


ChildFrame = Route | Wait | Vars | Send | AutoSend | Done
