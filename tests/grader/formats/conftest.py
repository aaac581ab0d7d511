from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from grader.exercise import Exercise
from grader.results import Results, Status, StepResult, StepStatus

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"

TITLES = [
    "Client connects to /ws",
    "Server calls websocket.accept()",
    "Server waits for message",
    "Client sends message 'Hello'",
    "Server processes message",
    "Server sends response",
    "Connection remains open or closes",
]


def load_schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    return schema


@pytest.fixture
def exercise() -> Exercise:
    checks: list[Any] = [
        ["connect"],
        ["expect_accept"],
        ["expect_waiting"],
        [{"send_text": "{data}"}, "expect_handled"],
        ["expect_handled"],
        [{"expect_text": "Message text was: {data}"}],
        [{"expect_close": {"code": 1008, "reason_pattern": "bye"}}, {"close": 1000}],
    ]
    return Exercise.model_validate(
        {
            "slug": "echo-once",
            "title": "WebSocket endpoint creation in FastAPI",
            "summary": "Accept, receive one text message, reply.",
            "endpoint": {"path": "/ws"},
            "payloads": {"data": {"lesson": "Hello", "kind": "text"}},
            "concept_flow": {"nodes": ["Client connects", "Server accepts"], "caption": "flow"},
            "sample": {"code": "app = FastAPI()", "caption": "sample"},
            "execution_table": [
                {"n": n, "action": title, "evaluation": "e", "result": "r", "check": check}
                for n, (title, check) in enumerate(zip(TITLES, checks, strict=False), start=1)
            ],
            "variable_tracker": {"columns": ["Start"], "rows": [{"name": "data", "values": ["None"]}]},
            "key_moments": [{"question": f"q{i}", "answer": "a"} for i in range(3)],
            "quiz": [
                {
                    "id": f"q{i}",
                    "prompt": "p",
                    "choices": {"A": "a", "B": "b"},
                    "answer": "A",
                    "hint": "h",
                    "explanation": "e",
                }
                for i in range(3)
            ],
            "snapshot": {"title": "t", "points": ["p"]},
            "transcript": "t",
            "variants": [{"file": f"wrong/v{i}.py", "fails_at": 2, "why": "w"} for i in range(3)],
        }
    )


_SHOWN = (StepStatus.FAILED, StepStatus.TIMEOUT, StepStatus.ERROR)


def make_results(
    statuses: list[StepStatus],
    *,
    submission: str = "learner.py",
    status: Status | None = None,
    message: str = "",
    output: str = "",
) -> Results:
    steps = [
        StepResult(
            n=n,
            title=TITLES[n - 1],
            status=step_status,
            expected="the connection to be accepted" if step_status in _SHOWN else "",
            actual="your endpoint closed it before accepting (code 1000)" if step_status in _SHOWN else "",
            message="call await websocket.accept() first" if step_status in _SHOWN else "",
            duration_ms=1.5,
        )
        for n, step_status in enumerate(statuses, start=1)
    ]
    passed = sum(s is StepStatus.PASSED for s in statuses)
    if status is None:
        status = Status.PASSED if passed == len(statuses) and statuses else Status.FAILED
    return Results(
        exercise="echo-once",
        submission=submission,
        status=status,
        score=float(passed),
        max_score=7.0,
        message=message,
        output=output,
        duration_ms=21.5,
        steps=steps,
    )


@pytest.fixture
def passed() -> Results:
    return make_results([StepStatus.PASSED] * 7)


@pytest.fixture
def failed() -> Results:
    return make_results(
        [StepStatus.PASSED, StepStatus.FAILED] + [StepStatus.SKIPPED] * 5,
        output="debug: got here\n",
    )


@pytest.fixture
def errored() -> Results:
    return make_results(
        [StepStatus.ERROR] + [StepStatus.SKIPPED] * 6,
        status=Status.ERROR,
        message="line 3: SyntaxError: invalid syntax",
        output="Traceback (most recent call last):\n  ...",
    )


@pytest.fixture
def unloadable() -> Results:
    return Results(
        exercise="echo-once",
        submission="broken.py",
        status=Status.ERROR,
        score=0.0,
        max_score=7.0,
        message="no endpoint found: define app, a router, an endpoint function or a WebSocketEndpoint class",
    )


@pytest.fixture
def build() -> Any:
    """``build([StepStatus...], submission=..., status=..., message=..., output=...)``."""
    return make_results


@pytest.fixture
def gradescope_schema() -> dict[str, Any]:
    return load_schema("gradescope-results.schema.json")


@pytest.fixture
def exercism_schema() -> dict[str, Any]:
    return load_schema("exercism-results-v3.schema.json")
