"""Payload values for a trace: the lesson's, or fresh random ones, and templates over them."""

from __future__ import annotations

import json
import random
import re
from typing import Any

from grader.exercise import Payload

_WORDS = (
    "amber",
    "birch",
    "cobalt",
    "delta",
    "ember",
    "fjord",
    "garnet",
    "harbor",
    "indigo",
    "juniper",
    "kestrel",
    "lagoon",
    "meadow",
    "nectar",
    "orbit",
    "pepper",
    "quartz",
    "raven",
    "saffron",
    "tundra",
    "umber",
    "velvet",
    "willow",
    "xenon",
    "yonder",
    "zephyr",
)

Values = dict[str, Any]


def lesson_values(payloads: dict[str, Payload]) -> Values:
    values: Values = {}
    for name, payload in payloads.items():
        if payload.kind == "int":
            values[name] = int(payload.lesson)
        elif payload.kind == "bytes":
            values[name] = str(payload.lesson).encode()
        else:
            values[name] = str(payload.lesson)
    return values


def random_values(payloads: dict[str, Payload], rng: random.Random) -> Values:
    """Fresh values, each different from the lesson's, so a hard-coded reply cannot pass."""
    lesson = lesson_values(payloads)
    values: Values = {}
    used: set[Any] = set()
    for name, payload in payloads.items():
        while True:
            value = _draw(payload.kind, rng)
            if value != lesson[name] and value not in used:
                break
        used.add(value)
        values[name] = value
    return values


def _draw(kind: str, rng: random.Random) -> Any:
    if kind == "int":
        return rng.randint(2, 9999)
    if kind == "bytes":
        return bytes(rng.randrange(256) for _ in range(rng.randint(4, 12)))
    if kind == "word":
        return f"{rng.choice(_WORDS)}{rng.randint(10, 999)}"
    return f"{rng.choice(_WORDS).capitalize()} {rng.choice(_WORDS)} {rng.randint(10, 999)}"


class TemplateError(ValueError):
    pass


def render(template: str, values: Values) -> str:
    try:
        return template.format_map({k: (v.hex() if isinstance(v, bytes) else v) for k, v in values.items()})
    except (KeyError, IndexError, ValueError) as exc:
        raise TemplateError(f"template {template!r} cannot be filled: {exc}") from exc


def render_bytes(template: str, values: Values) -> bytes:
    whole = re.fullmatch(r"\{(\w+)\}", template)
    if whole and isinstance(values.get(whole.group(1)), bytes):
        return values[whole.group(1)]  # type: ignore[no-any-return]
    return render(template, values).encode()


def render_pattern(template: str, values: Values) -> str:
    """A regular expression with ``{var}`` filled in literally (escaped)."""
    return render(template, {k: re.escape(str(v)) for k, v in values.items()})


def render_json(template: Any, values: Values) -> Any:
    if isinstance(template, str):
        whole = re.fullmatch(r"\{(\w+)\}", template)
        if whole and whole.group(1) in values:
            value = values[whole.group(1)]
            return value.hex() if isinstance(value, bytes) else value
        return render(template, values)
    if isinstance(template, list):
        return [render_json(item, values) for item in template]
    if isinstance(template, dict):
        return {render(str(k), values): render_json(v, values) for k, v in template.items()}
    return template


def show(value: Any, limit: int = 160) -> str:
    """A value as a learner reads it in feedback: 'text', b'bytes', {json}."""
    if isinstance(value, str):
        text = repr(value)
    elif isinstance(value, (bytes, bytearray)):
        text = repr(bytes(value))
    else:
        text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"
