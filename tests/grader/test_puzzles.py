"""Puzzles from every lesson's own data: Parsons blocks and distractors, blanks, and what ``check`` says."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from grader import Exercise, Limits, Sandbox, grade_source, load_exercises
from grader.loader import ExerciseError, load_exercise
from grader.puzzles import assemble, blanks, distractor_blocks, fill, logical_lines, problems, sample_blocks
from grader.selfcheck import load_for_check

EXERCISES = load_exercises()
LESSONS = [pytest.param(e, id=e.slug) for e in EXERCISES]


def _statements(code: str) -> list[str]:
    return [line.rstrip() for line in code.splitlines() if line.strip()]


def _in_sample(exercise: Exercise) -> Iterator[str]:
    for line in logical_lines(exercise.sample.code):
        yield " ".join(line.text.split())


@pytest.mark.parametrize("exercise", LESSONS)
def test_the_blocks_in_their_order_and_indentation_are_the_sample(exercise: Exercise) -> None:
    blocks = sample_blocks(exercise)
    assert len(blocks) >= 3
    assert _statements(assemble([(b, b.level) for b in blocks])) == _statements(exercise.sample.code)
    assert problems(exercise) == []


@pytest.mark.parametrize("exercise", LESSONS)
def test_distractors_are_variant_lines_that_differ_from_the_sample(exercise: Exercise) -> None:
    distractors = distractor_blocks(exercise)
    assert 1 <= len(distractors) <= exercise.modes.max_distractors
    sample = set(_in_sample(exercise))
    keys = {b.key for b in sample_blocks(exercise)}
    for block in distractors:
        assert block.distractor and block.replaces in keys
        assert " ".join(block.text.split()) not in sample
        assert not block.text.startswith(("import ", "from "))
        if block.from_variant.startswith("wrong/"):
            variant_lines = {line.strip() for line in exercise.source(block.from_variant).splitlines()}
            assert block.text.strip() in variant_lines
    assert len({b.text for b in distractors}) == len(distractors)


def test_echo_once_distractors_include_a_missing_await() -> None:
    echo = next(e for e in EXERCISES if e.slug == "echo-once")
    texts = {b.text for b in distractor_blocks(echo)}
    assert "websocket.accept()" in texts
    assert 'websocket.send_text(f"Message text was: {data}")' in texts


@pytest.mark.parametrize("exercise", LESSONS)
def test_blanks_are_key_calls_and_their_answers_rebuild_the_sample(exercise: Exercise) -> None:
    found = blanks(exercise)
    assert 1 <= len(found) <= 4
    for blank in found:
        assert blank.steps, f"line {blank.line} is run by no row"
        assert any(call in blank.answer for call in (".accept", ".receive", ".send", ".close", ".iter_"))
        assert blank.answer not in blank.prefix
    rebuilt = fill(exercise, {b.key: b.answer for b in found})
    assert rebuilt.splitlines() == exercise.sample.code.splitlines()


def test_echo_once_blanks_the_accept_the_receive_and_the_reply() -> None:
    echo = next(e for e in EXERCISES if e.slug == "echo-once")
    assert [(b.line, b.prefix, b.answer) for b in blanks(echo)] == [
        (6, "    ", "await websocket.accept()"),
        (7, "    data = ", "await websocket.receive_text()"),
        (8, "    ", 'await websocket.send_text(f"Message text was: {data}")'),
    ]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(Limits(step_timeout=1.0)) as box:
        yield box


@pytest.mark.parametrize("exercise", LESSONS)
def test_each_parsons_puzzle_is_solvable(exercise: Exercise, sandbox: Sandbox) -> None:
    """The sample assembled from the puzzle's blocks passes the grader."""
    blocks = sample_blocks(exercise)
    results = grade_source(exercise, assemble([(b, b.level) for b in blocks]), sandbox=sandbox)
    assert results.passed, results.message or [s for s in results.steps if s.status != "passed"]


def _copy(tmp_path: Path, **modes: object) -> Path:
    folder = tmp_path / "echo-once"
    shutil.copytree(next(e for e in EXERCISES if e.slug == "echo-once").folder, folder)
    data = yaml.safe_load((folder / "exercise.yaml").read_text())
    data["modes"] = modes
    (folder / "exercise.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return folder


def test_mode_fields_are_optional_and_used(tmp_path: Path) -> None:
    exercise = load_exercise(_copy(tmp_path, blank_lines=[6], distractors=["await websocket.accept(1)"]))
    assert [b.line for b in blanks(exercise)] == [6]
    assert distractor_blocks(exercise)[0].text == "await websocket.accept(1)"


@pytest.mark.parametrize(
    ("modes", "message"),
    [
        ({"blank_lines": [3]}, "modes.blank_lines[0]: line 3 is not a non-blank line of the sample"),
        ({"blank_lines": [40]}, "modes.blank_lines[0]: line 40 is not a non-blank line"),
        ({"distractors": ["await  websocket.accept()"]}, "modes.distractors[0]: 'await  websocket.accept()' is a line"),
        ({"distractors": ["a\nb"]}, "modes.distractors[0]: give one non-empty line of code"),
        ({"max_distractors": 99}, "field modes.max_distractors: Input should be less than or equal to 8"),
        ({"colour": "red"}, "field modes.colour: Extra inputs are not permitted"),
    ],
)
def test_bad_mode_fields_are_named(tmp_path: Path, modes: dict[str, object], message: str) -> None:
    with pytest.raises(ExerciseError) as caught:
        load_exercise(_copy(tmp_path, **modes))
    assert message in str(caught.value)


def test_check_reports_a_sample_that_gives_no_blank(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    data = yaml.safe_load((folder / "exercise.yaml").read_text())
    code = data["sample"]["code"]
    for call, other in ((".accept(", ".a("), (".receive_text(", ".r("), (".send_text(", ".s(")):
        code = code.replace(call, other)
    data["sample"]["code"] = code
    (folder / "exercise.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    (checked,) = load_for_check(["echo-once"], root=tmp_path)
    assert any("modes: no line to blank" in p for p in checked.problems), checked.problems
