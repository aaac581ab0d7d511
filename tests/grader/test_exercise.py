from __future__ import annotations

import ast
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from grader.checks import Connect, ExpectAccept, ExpectHandled, ExpectOpenOrClosed, ExpectText, ExpectWaiting, SendText
from grader.exercise import Exercise
from grader.loader import DATA_FILE, ExerciseError, default_exercises_dir, find_exercise, load_exercise
from grader.selfcheck import load_for_check

ECHO_ONCE = default_exercises_dir() / "echo-once"

# The seed lesson's execution table, word for word.
SEED_ROWS = [
    ("Client connects to /ws", "Connection request received", "Server prepares to accept"),
    ("Server calls websocket.accept()", "Connection accepted", "WebSocket connection established"),
    ("Server waits for message", "Waiting for client message", "Paused until message arrives"),
    ("Client sends message 'Hello'", "Message received", "data = 'Hello'"),
    ("Server processes message", "Formats response string", "Response = 'Message text was: Hello'"),
    ("Server sends response", "Response sent to client", "Client receives response"),
    ("Connection remains open or closes", "Depends on client/server", "Connection stays or ends"),
]


@pytest.fixture(scope="module")
def echo_once() -> Exercise:
    return find_exercise("echo-once")


def test_echo_once_has_the_seed_lesson_shape(echo_once: Exercise) -> None:
    assert echo_once.title == "WebSocket endpoint creation in FastAPI"
    assert echo_once.order == 1
    assert echo_once.endpoint.path == "/ws"
    assert len(echo_once.execution_table) == 7
    assert len(echo_once.quiz) == 3
    assert len(echo_once.key_moments) == 3
    assert len(echo_once.concept_flow.nodes) == 8
    assert echo_once.max_score == 7.0
    assert echo_once.payloads["data"].lesson == "Hello"
    assert echo_once.payloads["data"].kind == "text"


def test_echo_once_rows_are_the_seed_rows(echo_once: Exercise) -> None:
    rows = [(row.action, row.evaluation, row.result) for row in echo_once.execution_table]
    assert rows == SEED_ROWS
    assert [row.title for row in echo_once.execution_table] == [action for action, _, _ in SEED_ROWS]
    assert echo_once.exit_note == "Execution stops when connection closes or client disconnects"


def test_echo_once_checks_follow_the_decided_mapping(echo_once: Exercise) -> None:
    checks = [row.check for row in echo_once.execution_table]
    assert checks == [
        [Connect(path="/ws")],
        [ExpectAccept()],
        [ExpectWaiting()],
        [SendText(text="{data}")],
        [ExpectHandled()],
        [ExpectText(equals="Message text was: {data}")],
        [ExpectOpenOrClosed()],
    ]


def test_echo_once_variable_tracker(echo_once: Exercise) -> None:
    tracker = echo_once.variable_tracker
    assert tracker.columns == ["Start", "After Step 4", "After Step 5", "Final"]
    assert {row.name: row.values for row in tracker.rows} == {
        "websocket": ["WebSocket object", "Connected WebSocket", "Connected WebSocket", "Connected or closed"],
        "data": ["None", "'Hello'", "'Hello'", "'Hello'"],
        "response": ["None", "None", "'Message text was: Hello'", "'Message text was: Hello'"],
    }


def test_echo_once_quiz_and_key_moments(echo_once: Exercise) -> None:
    assert [(q.id, q.answer) for q in echo_once.quiz] == [
        ("data-after-step-4", "A"),
        ("accept-step", "C"),
        ("no-message-step-3", "B"),
    ]
    first = echo_once.question("data-after-step-4")
    assert first is not None
    assert first.choices["A"] == "'Hello'"
    assert first.hint == "Check the Variable tracker row for data in its 'After Step 4' column."
    assert all(len(q.choices) == 4 and q.explanation for q in echo_once.quiz)
    assert echo_once.question("no-such-question") is None
    assert [m.steps for m in echo_once.key_moments] == [[2], [3], [7]]


def test_echo_once_sample_snapshot_and_transcript(echo_once: Exercise) -> None:
    ast.parse(echo_once.sample.code)
    assert 'await websocket.send_text(f"Message text was: {data}")' in echo_once.sample.code
    assert len(echo_once.snapshot.points) == 6
    assert echo_once.transcript.startswith("This visual execution trace shows")
    assert echo_once.transcript.endswith("WebSocket communication works in FastAPI.")


def test_echo_once_files_parse(echo_once: Exercise) -> None:
    names = [echo_once.reference, *echo_once.also_correct, *(v.file for v in echo_once.variants)]
    for name in names:
        ast.parse(echo_once.source(name), filename=name)
    ast.parse(echo_once.starter)
    assert len(echo_once.also_correct) >= 8
    assert len(echo_once.variants) >= 6
    assert {v.fails_at for v in echo_once.variants} >= {1, 2, 3, 5, 6}
    assert all(v.why for v in echo_once.variants)


def _copy(root: Path) -> Path:
    folder = root / "echo-once"
    shutil.copytree(ECHO_ONCE, folder)
    return folder


def _error_after(tmp_path: Path, change: Callable[[dict[str, Any]], object]) -> str:
    folder = _copy(tmp_path)
    data_file = folder / DATA_FILE
    data = yaml.safe_load(data_file.read_text(encoding="utf-8"))
    change(data)
    data_file.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ExerciseError) as caught:
        load_exercise(folder)
    message = str(caught.value)
    assert message.startswith(f"{data_file}:"), message
    return message


def test_a_missing_section_is_named(tmp_path: Path) -> None:
    message = _error_after(tmp_path, lambda data: data.pop("quiz"))
    assert "field quiz" in message
    assert "required" in message


def test_misnumbered_rows_are_reported(tmp_path: Path) -> None:
    def swap(data: dict[str, Any]) -> None:
        rows = data["execution_table"]
        rows[2]["n"], rows[3]["n"] = 4, 3

    message = _error_after(tmp_path, swap)
    assert "execution_table" in message
    assert "numbered 1..7" in message
    assert "[1, 2, 4, 3, 5, 6, 7]" in message


def test_an_unknown_check_is_named(tmp_path: Path) -> None:
    def hug(data: dict[str, Any]) -> None:
        data["execution_table"][2]["check"] = [{"expect_hug": None}]

    message = _error_after(tmp_path, hug)
    assert "execution_table[" in message and "check" in message
    assert "unknown check 'expect_hug'" in message
    assert "expect_waiting" in message  # lists the known ones


def test_a_bare_unknown_check_name_is_named(tmp_path: Path) -> None:
    def hug(data: dict[str, Any]) -> None:
        data["execution_table"][2]["check"] = ["expect_hug"]

    message = _error_after(tmp_path, hug)
    assert "execution_table[" in message and "check" in message
    assert "'expect_hug'" in message


def test_conflicting_check_options_are_named(tmp_path: Path) -> None:
    def both(data: dict[str, Any]) -> None:
        data["execution_table"][5]["check"] = [{"expect_text": {"equals": "a", "pattern": "b"}}]

    message = _error_after(tmp_path, both)
    assert "expect_text" in message
    assert "exactly one of 'equals', 'pattern' or 'contains'" in message


def test_a_quiz_answer_must_be_a_choice(tmp_path: Path) -> None:
    message = _error_after(tmp_path, lambda data: data["quiz"][1].update(answer="E"))
    assert "field quiz[1]" in message
    assert "answer 'E' is not one of the choices A, B, C, D" in message


def test_quiz_choices_must_be_lettered_in_order(tmp_path: Path) -> None:
    message = _error_after(tmp_path, lambda data: data["quiz"][0].update(choices={"A": "x", "C": "y"}))
    assert "field quiz[0]" in message
    assert "lettered A, B, C" in message


def test_quiz_ids_must_be_unique(tmp_path: Path) -> None:
    message = _error_after(tmp_path, lambda data: data["quiz"][1].update(id="data-after-step-4"))
    assert "quiz question ids must be unique" in message


def test_the_variable_tracker_must_be_rectangular(tmp_path: Path) -> None:
    message = _error_after(tmp_path, lambda data: data["variable_tracker"]["rows"][1]["values"].pop())
    assert "field variable_tracker" in message
    assert "variable 'data' has 3 values but the tracker has 4 columns" in message


def test_a_key_moment_must_refer_to_an_existing_step(tmp_path: Path) -> None:
    message = _error_after(tmp_path, lambda data: data["key_moments"][0].update(steps=[9]))
    assert "refers to step 9, which does not exist" in message


def test_a_variant_must_fail_at_an_existing_step(tmp_path: Path) -> None:
    message = _error_after(tmp_path, lambda data: data["variants"][0].update(fails_at=8))
    assert "fails_at 8, but there are 7 steps" in message


def test_unknown_fields_are_refused(tmp_path: Path) -> None:
    message = _error_after(tmp_path, lambda data: data["snapshot"].update(colour="blue"))
    assert "field snapshot.colour" in message


def test_too_few_variants_are_refused(tmp_path: Path) -> None:
    message = _error_after(tmp_path, lambda data: data.update(variants=data["variants"][:2]))
    assert "field variants" in message


def test_echo_once_rows_name_the_sample_lines_they_run(echo_once: Exercise) -> None:
    assert [row.lines for row in echo_once.execution_table] == [[4, 5], [6], [7], [7], [8], [8], [8]]
    sample = echo_once.sample.code.splitlines()
    assert "accept()" in sample[echo_once.execution_table[1].lines[0] - 1]
    assert echo_once.has_lines


def test_every_exercise_gives_every_row_its_lines() -> None:
    for folder in sorted(ECHO_ONCE.parent.iterdir()):
        if (folder / DATA_FILE).is_file():
            exercise = load_exercise(folder)
            assert exercise.has_lines, exercise.slug
            sample = exercise.sample.code.splitlines()
            for row in exercise.execution_table:
                assert all(sample[line - 1].strip() for line in row.lines), (exercise.slug, row.n)


def test_a_line_outside_the_sample_is_named_with_its_row(tmp_path: Path) -> None:
    message = _error_after(tmp_path, lambda data: data["execution_table"][2].update(lines=[7, 12]))
    assert "execution_table[2] (step 3).lines" in message
    assert "line 12 is not in the sample, which has lines 1..8" in message


def test_a_blank_sample_line_is_refused(tmp_path: Path) -> None:
    message = _error_after(tmp_path, lambda data: data["execution_table"][0].update(lines=[3]))
    assert "(step 1).lines: line 3 of the sample is blank" in message


def test_rows_without_lines_are_named_when_others_have_them(tmp_path: Path) -> None:
    def drop(data: dict[str, Any]) -> None:
        del data["execution_table"][3]["lines"]
        del data["execution_table"][5]["lines"]

    message = _error_after(tmp_path, drop)
    assert "execution_table step 4, 6: no 'lines'" in message


def test_check_reports_an_exercise_without_lines(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    data_file = folder / DATA_FILE
    data = yaml.safe_load(data_file.read_text(encoding="utf-8"))
    for row in data["execution_table"]:
        del row["lines"]
    data_file.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    load_exercise(folder)  # optional for the grader itself
    (checked,) = load_for_check([], root=tmp_path)
    assert any("no row gives 'lines'" in problem and str(data_file) in problem for problem in checked.problems)
    assert not checked.ok
