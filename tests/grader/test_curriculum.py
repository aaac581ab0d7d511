"""The curriculum in ``exercises/``: complete lessons in order, and every solution grading as it declares."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from grader import Exercise, Limits, Results, Sandbox, StepStatus, grade_source, load_exercises
from grader.checks import (
    Close,
    Connect,
    ExpectBytes,
    ExpectClose,
    ExpectFinished,
    ExpectJson,
    ExpectText,
    SendBytes,
    SendJson,
    SendText,
    StepCheck,
)

EXERCISES = load_exercises()
BY_SLUG = {exercise.slug: exercise for exercise in EXERCISES}

# Fixed by the issue so that FastAPI's own documentation examples grade fairly.
FIXED_SLUGS = ("echo-once", "echo-loop", "items-auth", "chat-broadcast")
TOPICS = ("json-messages", "binary-frames", "close-codes", "subprotocol-denial")

_VARIABLE = re.compile(r"\{(\w+)\}")


def _actions(exercise: Exercise) -> Iterator[tuple[int, StepCheck]]:
    for row in exercise.execution_table:
        for action in row.check:
            yield row.n, action


def _strings(value: Any) -> Iterator[str]:
    """Every string leaf of a JSON-like value; keys are the message's structure, not its data."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _client_inputs(action: StepCheck) -> list[str]:
    """What the client puts on the wire that a server could repeat back (subprotocol names excluded:
    they are the protocol's fixed vocabulary, not data)."""
    if isinstance(action, SendText):
        return [action.text]
    if isinstance(action, SendJson):
        return list(_strings(action.json_))
    if isinstance(action, SendBytes) and action.data is not None:
        return [action.data]
    if isinstance(action, Connect):
        return [*action.query.values(), *action.cookies.values(), *action.headers.values()]
    if isinstance(action, Close):
        return [action.reason]
    return []


def _expected_texts(action: StepCheck) -> list[str]:
    if isinstance(action, ExpectText):
        return [m for m in (action.equals, action.contains) if m is not None]
    if isinstance(action, ExpectJson):
        return list(_strings(action.equals if action.equals is not None else action.subset))
    if isinstance(action, ExpectBytes) and action.equals is not None:
        return [action.equals]
    if isinstance(action, ExpectClose) and action.reason is not None:
        return [action.reason]
    return []


def _variables(template: str) -> set[str]:
    return set(_VARIABLE.findall(template))


def test_at_least_eight_exercises_in_curriculum_order() -> None:
    assert len(EXERCISES) >= 8
    orders = [exercise.order for exercise in EXERCISES]
    assert len(set(orders)) == len(orders), f"two exercises share an order: {orders}"
    assert EXERCISES[0].slug == "echo-once"
    assert EXERCISES[-1].slug == "chat-broadcast"
    for slug in FIXED_SLUGS + TOPICS:
        assert slug in BY_SLUG, f"exercise {slug} is missing"


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.slug)
def test_builds_on_earlier_exercises(exercise: Exercise) -> None:
    if exercise.slug == "echo-once":
        assert exercise.builds_on == []
        return
    assert exercise.builds_on, f"{exercise.slug} names no lesson it builds on"
    for slug in exercise.builds_on:
        assert slug in BY_SLUG, f"{exercise.slug} builds on unknown exercise {slug}"
        assert BY_SLUG[slug].order < exercise.order, f"{exercise.slug} builds on {slug}, which comes later"


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.slug)
def test_every_lesson_section_is_substantial(exercise: Exercise) -> None:
    assert len(exercise.key_moments) >= 3
    assert all(moment.steps for moment in exercise.key_moments), "each key moment points at trace steps"
    assert len(exercise.quiz) >= 3
    for question in exercise.quiz:
        assert question.hint.strip() and question.explanation.strip(), question.id
        assert len(question.choices) >= 3, question.id
    assert len(exercise.variants) >= 3
    assert len(exercise.concept_flow.nodes) >= 4
    assert exercise.sample.code.strip() and exercise.transcript.strip() and exercise.snapshot.points
    assert len(exercise.execution_table) >= 7


def _payload_problems(exercise: Exercise) -> list[str]:
    """A reply built from what the client sent must come from a payload, never from a fixed literal,
    or a hard-coded answer would pass. Fixed hex frames are binary probes and are not templates."""
    problems = []
    sent: list[tuple[int, str]] = []
    templated_expectations = 0
    used: set[str] = set()
    for n, action in _actions(exercise):
        for value in _client_inputs(action):
            used |= _variables(value)
            if value and not _variables(value):
                sent.append((n, value))
        for expected in _expected_texts(action):
            used |= _variables(expected)
            templated_expectations += bool(_variables(expected))
            problems += [
                f"step {n} expects {expected!r}, which repeats the fixed input {literal!r} sent at step {row}"
                for row, literal in sent
                if re.search(rf"(?<!\w){re.escape(literal)}(?!\w)", expected)
            ]
        if isinstance(action, Connect) and action.path:
            used |= _variables(action.path)
    used |= _variables(exercise.endpoint.path)
    if not templated_expectations:
        problems.append("no expectation is built from a random payload")
    problems += [f"payload {name} is never used" for name in sorted(set(exercise.payloads) - used)]
    return problems


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.slug)
def test_rows_that_echo_input_use_random_payloads(exercise: Exercise) -> None:
    assert _payload_problems(exercise) == []


def test_a_fixed_echo_is_reported() -> None:
    exercise = BY_SLUG["echo-loop"]
    rows = list(exercise.execution_table)
    rows[3] = rows[3].model_copy(update={"check": [SendText(text="Hello")]})
    rows[4] = rows[4].model_copy(update={"check": [ExpectText(equals="Message text was: Hello")]})
    fixed = exercise.model_copy(update={"execution_table": rows})
    assert _payload_problems(fixed) == [
        "step 5 expects 'Message text was: Hello', which repeats the fixed input 'Hello' sent at step 4",
        "payload data is never used",
    ]


def test_fixed_protocols_match_fastapi_documentation() -> None:
    """The wording of the four fixed protocols, as the issue's table gives it."""
    texts = {
        slug: [t for _, action in _actions(BY_SLUG[slug]) for t in _expected_texts(action)] for slug in FIXED_SLUGS
    }
    assert BY_SLUG["echo-loop"].endpoint.path == "/ws"
    assert "Message text was: {data}" in texts["echo-loop"]
    assert BY_SLUG["items-auth"].endpoint.path == "/items/{item_id}/ws"
    assert {
        "Session cookie or query token value is: {token}",
        "Session cookie or query token value is: {session}",
        "Query parameter q is: {q}",
        "Message text was: {data}, for item ID: {item_id}",
    } <= set(texts["items-auth"])
    assert BY_SLUG["chat-broadcast"].endpoint.path == "/ws/{client_id}"
    assert {"You wrote: {data}", "Client #{alice_id} says: {data}", "Client #{bob_id} left the chat"} <= set(
        texts["chat-broadcast"]
    )
    assert all(BY_SLUG["chat-broadcast"].payloads[f"{name}_id"].kind == "int" for name in ("alice", "bob", "carol"))


def test_echo_loop_ends_with_a_client_close_then_a_clean_finish() -> None:
    *_, close_row, finish_row = BY_SLUG["echo-loop"].execution_table
    assert [type(a) for a in close_row.check] == [Close]
    assert [type(a) for a in finish_row.check] == [ExpectFinished]


def test_items_auth_refuses_without_credentials_before_accept() -> None:
    first, second = BY_SLUG["items-auth"].execution_table[:2]
    (connect,) = first.check
    assert isinstance(connect, Connect) and not connect.query and not connect.cookies
    (close,) = second.check
    assert isinstance(close, ExpectClose) and close.code == 1008 and close.before_accept is True


# --- grading every solution with the real engine -------------------------------------------------


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(Limits(step_timeout=1.0)) as box:
        yield box


def _solutions() -> Iterator[Any]:
    for exercise in EXERCISES:
        for file in [exercise.reference, *exercise.also_correct]:
            yield pytest.param(exercise, file, None, id=f"{exercise.slug}:{file}")
        for variant in exercise.variants:
            yield pytest.param(exercise, variant.file, variant.fails_at, id=f"{exercise.slug}:{variant.file}")


def _describe(results: Results) -> str:
    return json.dumps(
        {
            "status": results.status,
            "message": results.message,
            "steps": [
                {"n": s.n, "status": s.status, "message": s.message} for s in results.steps if s.status != "passed"
            ],
        },
        indent=1,
    )


@pytest.mark.parametrize(("exercise", "file", "fails_at"), list(_solutions()))
def test_solution_grades_as_declared(sandbox: Sandbox, exercise: Exercise, file: str, fails_at: int | None) -> None:
    results = grade_source(exercise, exercise.source(file), sandbox=sandbox, submission=file, seed=1234)
    if fails_at is None:
        assert results.passed, _describe(results)
        assert [s.n for s in results.steps] == [row.n for row in exercise.execution_table]
        return
    failed = results.failed_step()
    assert not results.passed
    assert failed is not None, _describe(results)
    assert failed.n == fails_at, _describe(results)
    assert failed.message, "a failing step explains itself"
    assert all(s.status is StepStatus.PASSED for s in results.steps if s.n < fails_at)


def test_docs_looping_echo_passes_echo_once_but_fails_echo_loop_at_the_disconnect(sandbox: Sandbox) -> None:
    docs_loop = BY_SLUG["echo-loop"].source("wrong/docs_loop_forever.py")
    assert "while True" in docs_loop and "WebSocketDisconnect" not in docs_loop

    once = grade_source(BY_SLUG["echo-once"], docs_loop, sandbox=sandbox)
    assert once.passed, _describe(once)

    loop = grade_source(BY_SLUG["echo-loop"], docs_loop, sandbox=sandbox)
    failed = loop.failed_step()
    assert failed is not None and failed.n == len(BY_SLUG["echo-loop"].execution_table)
    assert "WebSocketDisconnect" in failed.message
    assert all(s.status is StepStatus.PASSED for s in loop.steps if s.n < failed.n)


def test_a_hard_coded_item_id_passes_the_lesson_values_but_fails_the_random_replay(sandbox: Sandbox) -> None:
    exercise = BY_SLUG["items-auth"]
    reference = exercise.source("solution.py")
    hard_coded = reference.replace("for item ID: {item_id}", "for item ID: foo")
    assert hard_coded != reference and exercise.payloads["item_id"].lesson == "foo"
    results = grade_source(exercise, hard_coded, sandbox=sandbox, seed=7)
    failed = results.failed_step()
    assert failed is not None and failed.n == 8, _describe(results)
