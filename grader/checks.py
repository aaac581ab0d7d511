"""The check vocabulary: what the grader does and asserts for one execution-table row.

A row's ``check`` is a list of actions. In YAML each action is a one-key mapping
(``- send_text: "{data}"``, ``- expect_close: {code: 1008}``) or a bare name
(``- expect_accept``). Strings marked *template* are formatted with the
exercise's payload variables (``{data}``), so the same trace is replayed with
the lesson's values and with fresh random ones.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

DEFAULT_CLIENT = "client"


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    client: str = DEFAULT_CLIENT


class Connect(_Action):
    """Open a WebSocket connection (the handshake); passes when it reaches the endpoint."""

    kind: Literal["connect"] = "connect"
    path: str | None = None  # template; defaults to the exercise's endpoint path
    query: dict[str, str] = {}  # values are templates
    headers: dict[str, str] = {}
    cookies: dict[str, str] = {}
    subprotocols: list[str] = []


class ExpectAccept(_Action):
    kind: Literal["expect_accept"] = "expect_accept"
    subprotocol: str | None = None


class ExpectClose(_Action):
    """The server closes: after accepting, or (``before_accept: true``) instead of accepting."""

    kind: Literal["expect_close"] = "expect_close"
    code: int | None = None
    reason: str | None = None  # template, exact
    reason_pattern: str | None = None  # regular expression, searched
    before_accept: bool | None = None  # None: either


class ExpectDenial(_Action):
    """The server answers the handshake with a plain HTTP response (no WebSocket)."""

    kind: Literal["expect_denial"] = "expect_denial"
    status: int
    body_pattern: str | None = None


class ExpectWaiting(_Action):
    """The server awaits a message and has sent nothing unprompted."""

    kind: Literal["expect_waiting"] = "expect_waiting"


class ExpectHandled(_Action):
    """The server handles what it received without crashing or hanging."""

    kind: Literal["expect_handled"] = "expect_handled"


class SendText(_Action):
    kind: Literal["send_text"] = "send_text"
    text: str  # template


class SendBytes(_Action):
    kind: Literal["send_bytes"] = "send_bytes"
    data: str | None = None  # template; a lone bytes variable is sent as is, text as UTF-8
    hex: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> SendBytes:
        if (self.data is None) == (self.hex is None):
            raise ValueError("give exactly one of 'data' or 'hex'")
        return self


class SendJson(_Action):
    kind: Literal["send_json"] = "send_json"
    json_: Any = Field(alias="json")  # string leaves are templates
    mode: Literal["text", "binary"] = "text"


class ExpectText(_Action):
    kind: Literal["expect_text"] = "expect_text"
    equals: str | None = None  # template
    pattern: str | None = None  # regular expression, full match
    contains: str | None = None  # template

    @model_validator(mode="after")
    def _one_matcher(self) -> ExpectText:
        given = [m for m in (self.equals, self.pattern, self.contains) if m is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'equals', 'pattern' or 'contains'")
        return self


class ExpectBytes(_Action):
    kind: Literal["expect_bytes"] = "expect_bytes"
    equals: str | None = None  # template, as for send_bytes
    hex: str | None = None

    @model_validator(mode="after")
    def _one_matcher(self) -> ExpectBytes:
        if (self.equals is None) == (self.hex is None):
            raise ValueError("give exactly one of 'equals' or 'hex'")
        return self


class ExpectJson(_Action):
    kind: Literal["expect_json"] = "expect_json"
    equals: Any = None  # string leaves are templates
    subset: dict[str, Any] | None = None  # these keys at least, with these values
    mode: Literal["text", "binary", "either"] = "text"

    @model_validator(mode="after")
    def _one_matcher(self) -> ExpectJson:
        if (self.equals is None) == (self.subset is None):
            raise ValueError("give exactly one of 'equals' or 'subset'")
        return self


class ExpectNoMessage(_Action):
    """Nothing arrives for this client within a short window."""

    kind: Literal["expect_no_message"] = "expect_no_message"
    within: float = Field(default=0.3, gt=0, le=5)


class Close(_Action):
    """The client closes its connection."""

    kind: Literal["close"] = "close"
    code: int = 1000
    reason: str = ""


class ExpectFinished(_Action):
    """The endpoint returns cleanly (no exception escapes) after the connection ends."""

    kind: Literal["expect_finished"] = "expect_finished"


class ExpectOpenOrClosed(_Action):
    """Either is fine: the connection stays open, or the server closes it cleanly."""

    kind: Literal["expect_open_or_closed"] = "expect_open_or_closed"


# Every check the runner knows; ``TraceRun._perform`` matches on it exhaustively (``assert_never``).
Action = (
    Connect
    | ExpectAccept
    | ExpectClose
    | ExpectDenial
    | ExpectWaiting
    | ExpectHandled
    | SendText
    | SendBytes
    | SendJson
    | ExpectText
    | ExpectBytes
    | ExpectJson
    | ExpectNoMessage
    | Close
    | ExpectFinished
    | ExpectOpenOrClosed
)
StepCheck = Annotated[Action, Field(discriminator="kind")]
CheckKind = Literal[
    "connect",
    "expect_accept",
    "expect_close",
    "expect_denial",
    "expect_waiting",
    "expect_handled",
    "send_text",
    "send_bytes",
    "send_json",
    "expect_text",
    "expect_bytes",
    "expect_json",
    "expect_no_message",
    "close",
    "expect_finished",
    "expect_open_or_closed",
]

# For the scalar shorthand ``- send_text: "{data}"``: which field the scalar fills.
_SCALAR_FIELD = {
    "connect": "path",
    "expect_accept": "subprotocol",
    "expect_close": "code",
    "expect_denial": "status",
    "send_text": "text",
    "send_bytes": "data",
    "send_json": "json",
    "expect_text": "equals",
    "expect_bytes": "equals",
    "expect_json": "equals",
    "expect_no_message": "within",
    "close": "code",
}

ACTION_NAMES: tuple[CheckKind, ...] = get_args(CheckKind)  # tests/grader/test_checks.py: one per Action model


def normalize_action(raw: Any) -> Any:
    """Turn the YAML spellings of one action into a tagged mapping for pydantic."""
    if isinstance(raw, str):
        return {"kind": raw}
    if isinstance(raw, dict) and "kind" not in raw and len(raw) == 1:
        ((name, body),) = raw.items()
        if name not in ACTION_NAMES:
            raise ValueError(f"unknown check {name!r}; known checks: {', '.join(ACTION_NAMES)}")
        if body is None:
            return {"kind": name}
        if isinstance(body, dict) and name != "send_json" and name != "expect_json":
            return {"kind": name, **body}
        if (
            name in ("send_json", "expect_json")
            and isinstance(body, dict)
            and (set(body) <= {"json", "equals", "subset", "mode", "client"} and body)
        ):
            return {"kind": name, **body}
        if name not in _SCALAR_FIELD:
            raise ValueError(f"check {name!r} takes a mapping of options, not {body!r}")
        return {"kind": name, _SCALAR_FIELD[name]: body}
    return raw
