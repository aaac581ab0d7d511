"""The lesson stepper's data: each execution-table row as lanes, code lines, tracker column and narration.

The arrows on the client/server lanes are derived from the row's checks (the check vocabulary
already says who sends what), never written a second time by hand. Frames have exactly the shape
of the grader's per-step ``frames`` (see ``CONTRACTS.md``), so a learner's recorded run and the
lesson's expected one are drawn by the same code.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Sequence
from typing import Any, Literal
from urllib.parse import urlencode

from markupsafe import Markup, escape
from pydantic import BaseModel
from pygments.lexers import PythonLexer
from pygments.token import STANDARD_TYPES, _TokenType

from grader import Exercise
from grader.checks import (
    Close,
    Connect,
    ExpectAccept,
    ExpectBytes,
    ExpectClose,
    ExpectDenial,
    ExpectFinished,
    ExpectHandled,
    ExpectJson,
    ExpectNoMessage,
    ExpectOpenOrClosed,
    ExpectText,
    ExpectWaiting,
    SendBytes,
    SendJson,
    SendText,
    StepCheck,
)
from grader.payloads import TemplateError, Values, lesson_values, render, render_bytes, render_json
from grader.results import clean_text

MAX_PAYLOAD = 200  # characters, as in the result's frames
MAX_FRAMES = 32  # per step, as in the result's frames

FrameType = Literal["connect", "accept", "deny", "text", "bytes", "json", "close"]


class Frame(BaseModel):
    """What crossed the wire: the result JSON's per-step frame, for the lesson's expected run too."""

    client: str
    direction: Literal["to_server", "to_client"]
    type: FrameType
    payload: str | None = None
    truncated: bool = False
    code: int | None = None
    reason: str | None = None
    subprotocol: str | None = None


class PredictionPublic(BaseModel):
    """What the learner predicts before the row is revealed; the answer stays on the server."""

    kind: Literal["choice", "text"]
    prompt: str
    choices: list[str] = []


class Prediction(PredictionPublic):
    answer: str

    def public(self) -> PredictionPublic:
        return PredictionPublic(kind=self.kind, prompt=self.prompt, choices=list(self.choices))

    def judge(self, given: str) -> bool:
        if self.kind == "choice":
            return given.strip() == self.answer
        return _same_text(given, self.answer)


class StepView(BaseModel):
    n: int
    action: str
    evaluation: str
    result: str
    lines: list[int]  # the sample lines this row runs ("just ran" once it is shown)
    next_lines: list[int]  # the next row's lines ("runs next")
    frames: list[Frame]
    waiting: list[str]  # clients whose endpoint run is paused awaiting their next message
    may_close: list[str] = []  # clients whose connection may stay open or be closed cleanly here
    notes: list[str]  # what the row checks that is no frame: silence, a clean return, no crash
    tracker_column: int | None  # the variable tracker's column that holds the values as of this row
    moments: list[int]  # indices of the key moments that refer to this row
    prediction: PredictionPublic | None = None


class LessonTrace(BaseModel):
    slug: str
    clients: list[str]  # one lane each, in order of first appearance
    steps: list[StepView]
    tracker_columns: list[str]
    untracked: list[str]  # tracker names the sample never stores in a variable


def _cut(text: str) -> tuple[str, bool]:
    return (text, False) if len(text) <= MAX_PAYLOAD else (text[: MAX_PAYLOAD - 1] + "…", True)


def _frame(client: str, direction: Literal["to_server", "to_client"], kind: FrameType, **fields: Any) -> Frame:
    payload = fields.pop("payload", None)
    truncated = False
    if payload is not None:
        payload, truncated = _cut(payload)
    return Frame(client=client, direction=direction, type=kind, payload=payload, truncated=truncated, **fields)


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def connect_target(exercise: Exercise, action: Connect, values: Values) -> str:
    path = render(action.path or exercise.endpoint.path, values)
    query = {key: render(template, values) for key, template in action.query.items()}
    return f"{path}?{urlencode(query)}" if query else path


def frames_of(exercise: Exercise, action: StepCheck, values: Values) -> tuple[list[Frame], list[str]]:
    """The frames one check puts on the wire when the endpoint behaves as the lesson says, and the
    notes for what it checks that crosses no wire."""
    who = action.client
    match action:
        case Connect():
            notes = [f"{who} sends the header {name}: {render(v, values)}" for name, v in action.headers.items()]
            notes += [f"{who} sends the cookie {name}={render(v, values)}" for name, v in action.cookies.items()]
            offered = ", ".join(action.subprotocols) or None
            if offered:
                notes.append(f"{who} offers the subprotocols {offered}")
            target = connect_target(exercise, action, values)
            return [_frame(who, "to_server", "connect", payload=target, subprotocol=offered)], notes
        case ExpectAccept():
            return [_frame(who, "to_client", "accept", subprotocol=action.subprotocol)], []
        case ExpectDenial():
            body = action.body_pattern
            return [_frame(who, "to_client", "deny", code=action.status, payload=body)], [
                f"{who} gets a plain HTTP {action.status} response; no WebSocket is opened"
            ]
        case ExpectClose():
            reason = render(action.reason, values) if action.reason is not None else action.reason_pattern
            notes = [f"the server refuses {who} before accepting"] if action.before_accept else []
            return [_frame(who, "to_client", "close", code=action.code, reason=reason)], notes
        case ExpectWaiting():
            return [], [f"the server awaits {who}'s next message"]
        case ExpectHandled():
            return [], ["the server handles the message without crashing or hanging"]
        case SendText():
            return [_frame(who, "to_server", "text", payload=render(action.text, values))], []
        case SendBytes():
            data = bytes.fromhex(action.hex) if action.hex is not None else render_bytes(action.data or "", values)
            return [_frame(who, "to_server", "bytes", payload=data.hex())], []
        case SendJson():
            return [_frame(who, "to_server", "json", payload=_compact(render_json(action.json_, values)))], []
        case ExpectText():
            if action.equals is not None:
                return [_frame(who, "to_client", "text", payload=render(action.equals, values))], []
            if action.contains is not None:
                text = render(action.contains, values)
                note = f"{who} gets a text containing {text!r}"
                return [_frame(who, "to_client", "text", payload=f"…{text}…")], [note]
            return [_frame(who, "to_client", "text", payload=action.pattern)], [
                f"{who} gets a text matching the pattern {action.pattern}"
            ]
        case ExpectBytes():
            data = bytes.fromhex(action.hex) if action.hex is not None else render_bytes(action.equals or "", values)
            return [_frame(who, "to_client", "bytes", payload=data.hex())], []
        case ExpectJson():
            if action.equals is not None:
                return [_frame(who, "to_client", "json", payload=_compact(render_json(action.equals, values)))], []
            subset = render_json(action.subset, values)
            return [_frame(who, "to_client", "json", payload=_compact(subset))], [
                f"{who} gets a JSON object with at least {_compact(subset)}"
            ]
        case ExpectNoMessage():
            return [], [f"{who} receives nothing for {action.within:g} s"]
        case Close():
            reason = action.reason or None
            return [_frame(who, "to_server", "close", code=action.code, reason=reason)], []
        case ExpectFinished():
            return [], [f"{who}'s endpoint run returns cleanly"]
        case ExpectOpenOrClosed():
            return [], [f"{who}'s connection may stay open or be closed cleanly"]
    raise AssertionError(f"unhandled check {action!r}")  # pragma: no cover


_AFTER_STEP = re.compile(r"after\s+step\s+(\d+)", re.IGNORECASE)
_FINAL = ("final", "end", "after")
_START = ("start", "before")


def column_moments(columns: Sequence[str], steps: int) -> list[int | None]:
    """The row after which each tracker column's values hold: 0 for "Start", n for "After Step n",
    the last row for "Final"; None for a heading the stepper cannot place."""
    moments: list[int | None] = []
    for column in columns:
        match = _AFTER_STEP.search(column)
        name = column.strip().lower()
        if match:
            moments.append(int(match.group(1)))
        elif name in _START:
            moments.append(0)
        elif name in _FINAL:
            moments.append(steps)
        else:
            moments.append(None)
    return moments


def tracker_column(columns: Sequence[str], steps: int, n: int) -> int | None:
    """The column holding the values as of row ``n``: the latest one placed at or before it."""
    best: tuple[int, int] | None = None
    for index, moment in enumerate(column_moments(columns, steps)):
        if moment is not None and moment <= n and (best is None or moment >= best[0]):
            best = (moment, index)
    return best[1] if best else None


def stored_names(code: str) -> set[str]:
    """Every name the code assigns to (variables, parameters, loop targets, imports)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
    return names


_LEADING_NAME = re.compile(r"[A-Za-z_]\w*")


def variable_of(name: str) -> str:
    """The variable a tracker row follows: ``message`` for ``message['type']``, ``client_id`` for
    "client_id (in the run that acted last)"; the name itself when it starts with no identifier."""
    leading = _LEADING_NAME.match(name)
    return leading.group(0) if leading else name


def untracked_names(exercise: Exercise) -> list[str]:
    """Tracker rows that name no variable the sample stores: a plain name it never assigns (the
    seed's ``response``, computed inline) or a description of the run ("close code"), whose first
    word is no variable of the sample either. A learner's endpoint cannot be expected to have them."""
    stored = stored_names(exercise.sample.code)

    def untracked(name: str) -> bool:
        leading = _LEADING_NAME.match(name)
        return leading is None or leading.group(0) not in stored

    return [row.name for row in exercise.variable_tracker.rows if untracked(row.name)]


def _same_text(given: str, expected: str) -> bool:
    def canonical(text: str) -> str:
        text = " ".join(text.strip().split())
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
            text = text[1:-1]
        return text

    if canonical(given) == canonical(expected):
        return True
    try:
        return bool(json.loads(given) == json.loads(expected))
    except ValueError:
        return False


_CLOSE_CODES = ["1000", "1001", "1008", "1009", "1011"]


def prediction_for(exercise: Exercise, n: int, values: Values | None = None) -> Prediction | None:
    """Rows where something is computed or received ask for a prediction first: a variable the
    tracker shows changing after this row, else what a client receives, else the close code."""
    values = lesson_values(exercise.payloads) if values is None else values
    tracker = exercise.variable_tracker
    moments = column_moments(tracker.columns, len(exercise.execution_table))
    row = exercise.execution_table[n - 1]
    explicit = [_AFTER_STEP.search(c) for c in tracker.columns]
    if n in moments and explicit[moments.index(n)]:
        column = moments.index(n)
        stored = stored_names(exercise.sample.code)
        # The variable the row itself names first ("data = 'Hello'"), then the sample's own variables.
        ranked = sorted(
            tracker.rows,
            key=lambda r: (r.name not in f"{row.action} {row.result}", r.name not in stored),
        )
        for row_of_tracker in ranked:
            row_values = row_of_tracker.values
            value = row_values[column]
            before = row_values[column - 1] if column > 0 else None
            if value != before and value.strip() not in ("-", "", "None"):
                pool = [v for v in row_values if v.strip() not in ("-", "")]
                pool += [other.values[column] for other in tracker.rows if other is not row_of_tracker]
                choices = [value, *[v for v in dict.fromkeys(pool) if v != value and v.strip() != "-"]][:4]
                if len(choices) < 2:
                    continue
                # A fixed order that does not always put the answer first.
                choices.sort(key=lambda text: (len(text) * 7919 + sum(map(ord, text))) % 101)
                return Prediction(
                    kind="choice",
                    prompt=f"What is {row_of_tracker.name} after step {n}?",
                    choices=choices,
                    answer=value,
                )
    for action in row.check:
        if isinstance(action, ExpectText) and action.equals is not None:
            return Prediction(
                kind="text",
                prompt=f"What text does {action.client} receive at step {n}?",
                answer=render(action.equals, values),
            )
        if isinstance(action, ExpectJson) and action.equals is not None:
            return Prediction(
                kind="text",
                prompt=f"What JSON does {action.client} receive at step {n}?",
                answer=_compact(render_json(action.equals, values)),
            )
        if isinstance(action, ExpectClose) and action.code is not None:
            return Prediction(
                kind="choice",
                prompt=f"Which close code does {action.client} get at step {n}?",
                choices=_CLOSE_CODES if str(action.code) in _CLOSE_CODES else [*_CLOSE_CODES[:3], str(action.code)],
                answer=str(action.code),
            )
    return None


def lesson_trace(exercise: Exercise) -> LessonTrace:
    values = lesson_values(exercise.payloads)
    rows = exercise.execution_table
    clients: list[str] = []
    steps: list[StepView] = []
    for index, row in enumerate(rows):
        frames: list[Frame] = []
        notes: list[str] = []
        waiting: list[str] = []
        may_close: list[str] = []
        for action in row.check:
            if action.client not in clients:
                clients.append(action.client)
            try:
                more, said = frames_of(exercise, action, values)
            except TemplateError:  # a template the lesson values cannot fill: show the row without it
                more, said = [], []
            frames += more
            notes += said
            if isinstance(action, ExpectWaiting):
                waiting.append(action.client)
            if isinstance(action, ExpectOpenOrClosed):
                may_close.append(action.client)
        prediction = prediction_for(exercise, row.n, values)
        steps.append(
            StepView(
                n=row.n,
                action=row.action,
                evaluation=row.evaluation,
                result=row.result,
                lines=list(row.lines),
                next_lines=list(rows[index + 1].lines) if index + 1 < len(rows) else [],
                frames=frames[:MAX_FRAMES],
                waiting=waiting,
                may_close=may_close,
                notes=notes,
                tracker_column=tracker_column(exercise.variable_tracker.columns, len(rows), row.n),
                moments=[i for i, moment in enumerate(exercise.key_moments) if row.n in moment.steps],
                prediction=prediction.public() if prediction else None,
            )
        )
    return LessonTrace(
        slug=exercise.slug,
        clients=clients,
        steps=steps,
        tracker_columns=list(exercise.variable_tracker.columns),
        untracked=untracked_names(exercise),
    )


def _css_class(token: _TokenType) -> str:
    current: _TokenType | None = token
    while current is not None and current not in STANDARD_TYPES:
        current = current.parent
    return STANDARD_TYPES[current] if current is not None else ""


def code_lines(code: str) -> list[Markup]:
    """The code as highlighted HTML, one entry per line (tokens that span lines are split), so
    the stepper can mark whole lines."""
    lines: list[list[str]] = [[]]
    for token, text in PythonLexer(stripnl=False).get_tokens(code):
        css = _css_class(token)
        for i, piece in enumerate(text.split("\n")):
            if i:
                lines.append([])
            if piece:
                lines[-1].append(f'<span class="{css}">{escape(piece)}</span>' if css else str(escape(piece)))
    if lines and not lines[-1]:
        lines.pop()
    count = len(code.splitlines())
    return [Markup("".join(parts)) for parts in lines[:count]]


# --- The pages' stepper data -------------------------------------------------------------------

_STATUS_WORDS = {
    "passed": "passed",
    "failed": "failed",
    "error": "error",
    "timeout": "timed out",
    "skipped": "skipped",
    "pending": "not graded yet",
}
_STATUS_MARKS = {"passed": "✓", "failed": "✗", "error": "✗", "timeout": "✗", "skipped": "-"}


class TrackerData(BaseModel):
    columns: list[str]
    rows: list[dict[str, Any]]


class MomentData(BaseModel):
    question: str
    answer: str


class StepperData(BaseModel):
    mode: Literal["lesson", "replay"] = "lesson"
    slug: str
    trace: LessonTrace
    sample_lines: list[str]
    tracker: TrackerData
    moments: list[MomentData]


class RunStep(BaseModel):
    """One graded row of a learner's run, as the replay shows it."""

    n: int
    status: str
    expected: str = ""
    actual: str = ""
    message: str = ""
    frames: list[Frame] = []
    paused_line: int | None = None
    variables: dict[str, str] = {}


class ReplayData(StepperData):
    mode: Literal["lesson", "replay"] = "replay"
    code_lines: list[str]
    runs: list[RunStep]
    first_difference: int | None


class SpineStep(BaseModel):
    n: int
    action: str
    status: str = ""
    status_words: str = ""
    status_mark: str = ""


def stepper_data(exercise: Exercise) -> StepperData:
    tracker = exercise.variable_tracker
    return StepperData(
        slug=exercise.slug,
        trace=lesson_trace(exercise),
        sample_lines=[str(line) for line in code_lines(exercise.sample.code)],
        tracker=TrackerData(
            columns=list(tracker.columns), rows=[{"name": r.name, "values": list(r.values)} for r in tracker.rows]
        ),
        moments=[MomentData(question=m.question, answer=m.answer) for m in exercise.key_moments],
    )


def _run_step(raw: Any) -> RunStep | None:
    """A stored step of a result, read defensively: the frames come from grading untrusted code."""
    if not isinstance(raw, dict) or not isinstance(raw.get("n"), int):
        return None
    frames = []
    for item in raw.get("frames") or []:
        try:
            frames.append(Frame.model_validate(item))
        except ValueError:
            continue
    paused = raw.get("paused_line")
    variables = raw.get("variables")
    # Learner text, possibly stored before results were cleaned: cleaned here as it is read (``text_clean``).
    return RunStep(
        n=raw["n"],
        status=clean_text(str(raw.get("status", ""))),
        expected=clean_text(str(raw.get("expected") or "")),
        actual=clean_text(str(raw.get("actual") or "")),
        message=clean_text(str(raw.get("message") or "")),
        frames=frames[:MAX_FRAMES],
        paused_line=paused if isinstance(paused, int) and paused >= 1 else None,
        variables={clean_text(str(k)): clean_text(str(v)) for k, v in variables.items()}
        if isinstance(variables, dict)
        else {},
    )


def _shape(frames: Sequence[Frame], may_close: Sequence[str] = ()) -> list[tuple[str, str, str]]:
    """The frames' kinds in order; a server's close is left out for the clients whose row accepts
    the connection either staying open or closing cleanly (a run that passed closed it cleanly)."""
    return [
        (f.client, f.direction, f.type)
        for f in frames
        if not (f.type == "close" and f.direction == "to_client" and f.client in may_close)
    ]


def first_difference(lesson: LessonTrace, runs: Sequence[RunStep]) -> int | None:
    """The first row where the learner's run and the lesson's part: the grader's first failing row,
    or else (a run that passed) the first row whose recorded frames differ in kind from the lesson's."""
    by_n = {run.n: run for run in runs}
    for step in lesson.steps:
        run = by_n.get(step.n)
        if run is not None and run.status not in ("passed", ""):
            return step.n
    for step in lesson.steps:
        run = by_n.get(step.n)
        if run is not None and run.frames and _shape(run.frames, step.may_close) != _shape(step.frames):
            return step.n
    return None


def replay_data(exercise: Exercise, steps: Sequence[Any], code: str) -> ReplayData:
    base = stepper_data(exercise)
    runs = [run for run in (_run_step(raw) for raw in steps) if run is not None]
    return ReplayData(
        **base.model_dump(exclude={"mode"}),
        code_lines=[str(line) for line in code_lines(code)],
        runs=runs,
        first_difference=first_difference(base.trace, runs),
    )


def spine_of(exercise: Exercise, runs: Sequence[RunStep] | None = None) -> list[SpineStep]:
    by_n = {run.n: run for run in runs or []}
    spine = []
    for row in exercise.execution_table:
        status = by_n[row.n].status if row.n in by_n else ("pending" if runs is not None else "")
        spine.append(
            SpineStep(
                n=row.n,
                action=row.action,
                status=status,
                status_words=_STATUS_WORDS.get(status, status),
                status_mark=_STATUS_MARKS.get(status, ""),
            )
        )
    return spine


def script_json(data: BaseModel) -> Markup:
    """JSON for a ``<script type="application/json">`` block: nothing in it can close the element."""
    text = data.model_dump_json()
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def replay_context(exercise: Exercise | None, steps: Sequence[Any], code: str, *, final: bool) -> dict[str, Any]:
    """What a result page needs for the replay: nothing until the run is graded (the live table
    shows the rows arriving), or when the exercise is gone or nothing of the run was graded."""
    if exercise is None or not final:
        return {}
    data = replay_data(exercise, steps, code)
    if not data.runs:
        return {}
    return {"replay_json": script_json(data), "replay_spine": spine_of(exercise, data.runs)}
