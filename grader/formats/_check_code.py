"""A trace row's check written out as readable pseudo-code (Exercism's ``test_code``)."""

from __future__ import annotations

import json
from typing import Any

from grader.checks import StepCheck
from grader.exercise import Exercise, TraceStep

# Actions whose one obvious argument reads best without its name.
_POSITIONAL = {
    "connect": "path",
    "expect_accept": "subprotocol",
    "send_text": "text",
    "expect_no_message": "within",
}


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool) or value is None:
        return {True: "True", False: "False", None: "None"}[value]
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def action_code(action: StepCheck) -> str:
    """``client.send_text("{data}")``, ``client.expect_close(code=1008)``."""
    fields = action.model_dump(by_alias=True, exclude_defaults=True, exclude={"kind", "client"})
    args: list[str] = []
    positional = _POSITIONAL.get(action.kind)
    if positional is not None and positional in fields:
        args.append(_literal(fields.pop(positional)))
    args.extend(f"{name}={_literal(value)}" for name, value in fields.items())
    return f"{action.client}.{action.kind}({', '.join(args)})"


def step_code(step: TraceStep, exercise: Exercise | None = None) -> str:
    """The row's actions, one a line, with the lesson's payload values noted when a template uses them."""
    lines = [f"# Step {step.n}: {step.action}", *(action_code(action) for action in step.check)]
    if exercise is not None:
        body = "\n".join(lines[1:])
        used = [name for name in exercise.payloads if "{" + name + "}" in body]
        for name in used:
            payload = exercise.payloads[name]
            lines.append(f"# {{{name}}} is {payload.lesson!r} in the lesson, then a random {payload.kind} value")
    return "\n".join(lines)
