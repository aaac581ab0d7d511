from __future__ import annotations

from collections.abc import Iterator

import pytest

from grader import Exercise, load_exercises
from grader.grading import grade_source
from grader.limits import Limits
from grader.loader import find_exercise
from grader.results import Status
from grader.sandbox import Sandbox
from tracedojo.trace_view import (
    Frame,
    RunStep,
    code_lines,
    column_moments,
    first_difference,
    lesson_trace,
    prediction_for,
    replay_data,
    stored_names,
    tracker_column,
    untracked_names,
    variable_of,
)

EXERCISES = load_exercises()


def _wire(frames: list[Frame]) -> list[tuple[str, str, str, str | None, int | None]]:
    return [(f.client, f.direction, f.type, f.payload, f.code) for f in frames]


@pytest.fixture(scope="module")
def echo_once() -> Exercise:
    return find_exercise("echo-once")


def test_echo_once_lanes_follow_the_seed_rows(echo_once: Exercise) -> None:
    trace = lesson_trace(echo_once)
    assert trace.clients == ["client"]
    steps = trace.steps
    assert _wire(steps[0].frames) == [("client", "to_server", "connect", "/ws", None)]
    assert _wire(steps[1].frames) == [("client", "to_client", "accept", None, None)]
    assert steps[2].frames == [] and steps[2].waiting == ["client"]
    assert _wire(steps[3].frames) == [("client", "to_server", "text", "Hello", None)]
    assert steps[4].frames == [] and "without crashing" in steps[4].notes[0]
    assert _wire(steps[5].frames) == [("client", "to_client", "text", "Message text was: Hello", None)]
    assert steps[6].frames == [] and "stay open or be closed" in steps[6].notes[0]


def test_echo_once_lines_tracker_columns_and_moments(echo_once: Exercise) -> None:
    steps = lesson_trace(echo_once).steps
    assert [s.lines for s in steps] == [[4, 5], [6], [7], [7], [8], [8], [8]]
    assert [s.next_lines for s in steps] == [[6], [7], [7], [8], [8], [8], []]
    # Columns Start, After Step 4, After Step 5, Final.
    assert [s.tracker_column for s in steps] == [0, 0, 0, 1, 2, 2, 3]
    assert [s.moments for s in steps] == [[], [0], [1], [], [], [], [2]]
    assert [s.action for s in steps][1] == "Server calls websocket.accept()"


def test_echo_once_predictions_ask_what_is_computed_or_received(echo_once: Exercise) -> None:
    steps = lesson_trace(echo_once).steps
    asked = {s.n: s.prediction for s in steps if s.prediction}
    assert set(asked) == {4, 5, 6}
    assert asked[4] is not None and asked[4].prompt == "What is data after step 4?"
    assert "'Hello'" in asked[4].choices
    assert asked[6] is not None and asked[6].kind == "text"
    step_4 = prediction_for(echo_once, 4)
    assert step_4 is not None and step_4.answer == "'Hello'"
    assert step_4.judge("'Hello'") and not step_4.judge("None")
    step_6 = prediction_for(echo_once, 6)
    assert step_6 is not None
    assert step_6.judge("Message text was: Hello")
    assert step_6.judge("  'Message text was:  Hello' ")
    assert not step_6.judge("Hello")
    # The public shape carries no answer.
    assert "answer" not in asked[6].model_dump()


def test_the_seed_response_is_not_a_variable_of_the_sample(echo_once: Exercise) -> None:
    assert untracked_names(echo_once) == ["response"]
    assert {"app", "websocket", "data"} <= stored_names(echo_once.sample.code)
    assert stored_names("def broken(:") == set()


def test_broadcast_lessons_get_one_lane_per_client() -> None:
    chat = find_exercise("chat-broadcast")
    trace = lesson_trace(chat)
    assert trace.clients == ["alice", "bob", "carol"]
    step_12 = trace.steps[11]
    assert _wire(step_12.frames) == [
        (name, "to_client", "text", "Client #2 says: Hi Alice", None) for name in ("alice", "bob", "carol")
    ]
    assert _wire(trace.steps[0].frames) == [("alice", "to_server", "connect", "/ws/1", None)]
    assert "carol receives nothing" in trace.steps[8].notes[0]
    assert trace.steps[0].tracker_column is None  # the tracker starts "After Step 2"


def test_closes_denials_queries_and_binary_frames() -> None:
    close_codes = lesson_trace(find_exercise("close-codes")).steps
    close = close_codes[5].frames[0]
    assert (close.type, close.direction, close.code, close.reason) == ("close", "to_client", 1000, "Goodbye")
    leaver = close_codes[14].frames[0]
    assert (leaver.client, leaver.direction, leaver.code, leaver.reason) == ("leaver", "to_server", 1001, "Going away")
    assert "close code" in (close_codes[9].prediction.prompt if close_codes[9].prediction else "")

    denial = lesson_trace(find_exercise("subprotocol-denial")).steps
    deny = denial[1].frames[0]
    assert (deny.client, deny.type, deny.code, deny.payload) == ("nokey", "deny", 403, "Invalid API key")
    assert denial[0].frames[0].subprotocol == "chat.v1"
    assert any("X-API-Key: wrong-key" in note for note in denial[2].notes)
    assert _wire(denial[11].frames) == [
        ("modern", "to_client", "json", '{"protocol":"chat.v2","text":"Hi in JSON"}', None)
    ]

    items = lesson_trace(find_exercise("items-auth")).steps
    assert items[2].frames[0].payload == "/items/foo/ws?token=some-key-token&q=5"
    assert items[1].frames[0].code == 1008 and "before accepting" in items[1].notes[0]
    assert items[14].waiting == ["client", "browser"]

    binary = lesson_trace(find_exercise("binary-frames")).steps
    assert _wire(binary[3].frames) == [("client", "to_server", "bytes", "89504e470d0a1a0a", None)]
    assert _wire(binary[8].frames) == [("client", "to_client", "bytes", b"ping".hex(), None)]


@pytest.mark.parametrize("exercise", EXERCISES, ids=[e.slug for e in EXERCISES])
def test_every_lesson_has_a_full_trace(exercise: Exercise) -> None:
    trace = lesson_trace(exercise)
    assert [s.n for s in trace.steps] == [row.n for row in exercise.execution_table]
    sample = exercise.sample.code.splitlines()
    assert len(code_lines(exercise.sample.code)) == len(sample)
    for step in trace.steps:
        assert step.lines and all(1 <= line <= len(sample) for line in step.lines)
        # Every row shows something: an arrow, a pause or a note.
        assert step.frames or step.waiting or step.notes, step.n
        for frame in step.frames:
            assert frame.client in trace.clients
            assert frame.payload is None or len(frame.payload) <= 200
        if step.tracker_column is not None:
            assert 0 <= step.tracker_column < len(exercise.variable_tracker.columns)
    # A connect opens every lane, and at least one row asks for a prediction.
    connected = {f.client for s in trace.steps for f in s.frames if f.type == "connect"}
    assert connected == set(trace.clients)
    assert any(s.prediction for s in trace.steps)
    for step in trace.steps:
        full = prediction_for(exercise, step.n)
        if full is not None and full.kind == "choice":
            assert full.answer in full.choices and len(full.choices) >= 2


def test_frames_match_the_result_contract_shape(echo_once: Exercise) -> None:
    frame = lesson_trace(echo_once).steps[0].frames[0]
    assert set(frame.model_dump()) == {
        "client",
        "direction",
        "type",
        "payload",
        "truncated",
        "code",
        "reason",
        "subprotocol",
    }


def test_tracker_columns_are_placed_by_their_heading() -> None:
    columns = ["Start", "After Step 4", "After Step 5", "Final"]
    assert column_moments(columns, 7) == [0, 4, 5, 7]
    assert [tracker_column(columns, 7, n) for n in range(1, 8)] == [0, 0, 0, 1, 2, 2, 3]
    assert tracker_column(["After Step 2", "Whatever"], 5, 1) is None


def test_code_lines_keep_highlighting_and_escape_html() -> None:
    lines = code_lines('x = "<b>"\n\ndef f():\n    return x\n')
    assert len(lines) == 4
    assert "&lt;b&gt;" in lines[0] and "<b>" not in lines[0]
    assert lines[1] == ""
    assert 'class="k"' in lines[2]  # the keyword def


PASSING_FILES = [(e.slug, file) for e in EXERCISES for file in [e.reference, *e.also_correct]]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(Limits(step_timeout=1.0)) as sb:
        yield sb


@pytest.mark.parametrize(("slug", "file"), PASSING_FILES, ids=[f"{s}:{f}" for s, f in PASSING_FILES])
def test_a_passing_run_differs_from_the_lesson_nowhere(slug: str, file: str, sandbox: Sandbox) -> None:
    """Every lesson's reference and other correct styles: the replay opens no row as different
    (a clean close where the row allows the connection to stay open or close counts as matching)."""
    exercise = find_exercise(slug)
    code = exercise.source(file)
    results = grade_source(exercise, code, sandbox=sandbox, submission="submission.py", seed=7)
    assert results.status is Status.PASSED, results.message
    data = replay_data(exercise, [step.model_dump(mode="json") for step in results.steps], code)
    assert any(run.frames for run in data.runs), "the grader recorded the frames of the run"
    assert data.first_difference is None, [(r.n, [(f.client, f.type) for f in r.frames]) for r in data.runs]


def test_a_clean_close_matches_only_where_the_row_allows_it(echo_once: Exercise) -> None:
    trace = lesson_trace(echo_once)
    assert trace.steps[6].may_close == ["client"] and trace.steps[5].may_close == []
    closed = [Frame(client="client", direction="to_client", type="close", code=1000)]
    passed = [RunStep(n=step.n, status="passed", frames=list(step.frames)) for step in trace.steps]
    passed[6] = RunStep(n=7, status="passed", frames=closed)
    assert first_difference(trace, passed) is None
    # The same close where the lesson sends a text is a difference; so is a text on row 7.
    passed[5] = RunStep(n=6, status="passed", frames=closed)
    assert first_difference(trace, passed) == 6
    passed[5] = RunStep(n=6, status="passed", frames=list(trace.steps[5].frames))
    passed[6] = RunStep(n=7, status="passed", frames=[Frame(client="client", direction="to_client", type="text")])
    assert first_difference(trace, passed) == 7
    # A failing row is the difference, whatever the frames.
    passed[2] = RunStep(n=3, status="failed")
    assert first_difference(trace, passed) == 3


def _attributes_stored(code: str) -> set[str]:
    import ast

    return {
        node.attr
        for node in ast.walk(ast.parse(code))
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
    }


@pytest.mark.parametrize("exercise", EXERCISES, ids=[e.slug for e in EXERCISES])
def test_the_yours_column_of_every_tracker_row_says_something(exercise: Exercise, sandbox: Sandbox) -> None:
    """Replaying the reference, each row of the lesson's tracker is either no variable of the sample
    (said so), or a variable of the endpoint the grader captured (``message['type']`` shows the whole
    ``message``); only shared state kept on an object (``self.active_connections``) is neither."""
    code = exercise.source(exercise.reference)
    results = grade_source(exercise, code, sandbox=sandbox, submission="submission.py", seed=7)
    captured = {name for step in results.steps for name in step.variables}
    untracked = set(untracked_names(exercise))
    shared = _attributes_stored(exercise.sample.code)
    for row in exercise.variable_tracker.rows:
        said = row.name in untracked or row.name in captured or variable_of(row.name) in captured
        assert said or variable_of(row.name) in shared, (row.name, sorted(captured))
