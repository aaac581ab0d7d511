from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from grader.loader import (
    DATA_FILE,
    ExerciseError,
    UnknownExercise,
    default_exercises_dir,
    find_exercise,
    load_exercise,
    load_exercises,
)

ECHO_ONCE = default_exercises_dir() / "echo-once"


def copy_exercise(root: Path, name: str = "echo-once") -> Path:
    """A private copy of echo-once (data file, solution, styles, variants) under ``root``."""
    folder = root / name
    shutil.copytree(ECHO_ONCE, folder)
    return folder


def rewrite(folder: Path, change: Callable[[dict[str, Any]], object]) -> Path:
    data_file = folder / DATA_FILE
    data = yaml.safe_load(data_file.read_text(encoding="utf-8"))
    change(data)
    data_file.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return data_file


def load_error(folder: Path) -> str:
    with pytest.raises(ExerciseError) as caught:
        load_exercise(folder)
    return str(caught.value)


def test_a_copy_of_echo_once_loads_with_its_folder_and_version(tmp_path: Path) -> None:
    folder = copy_exercise(tmp_path)
    exercise = load_exercise(folder)
    assert exercise.slug == "echo-once"
    assert exercise.folder == folder.resolve()
    assert len(exercise.version) == 12
    assert exercise.source(exercise.reference).startswith("from fastapi import")


def test_the_version_changes_with_the_file(tmp_path: Path) -> None:
    folder = copy_exercise(tmp_path)
    before = load_exercise(folder).version
    rewrite(folder, lambda data: data.update(summary="Echo one message back."))
    assert load_exercise(folder).version != before


def test_bad_yaml_names_the_file_and_the_line(tmp_path: Path) -> None:
    folder = copy_exercise(tmp_path)
    lines = (folder / DATA_FILE).read_text(encoding="utf-8").splitlines()
    at = lines.index("exit_note: Execution stops when connection closes or client disconnects")
    lines[at] = "exit_note: Execution stops: when connection closes"
    (folder / DATA_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")

    message = load_error(folder)

    assert str(folder / DATA_FILE) in message
    assert f"line {at + 1}," in message
    assert "invalid YAML" in message


def test_a_file_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    folder = copy_exercise(tmp_path)
    (folder / DATA_FILE).write_text("- just\n- a list\n", encoding="utf-8")
    message = load_error(folder)
    assert str(folder / DATA_FILE) in message
    assert "mapping" in message


def test_a_missing_data_file_is_named(tmp_path: Path) -> None:
    folder = copy_exercise(tmp_path)
    (folder / DATA_FILE).unlink()
    message = load_error(folder)
    assert str(folder / DATA_FILE) in message
    assert "cannot read" in message


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    message = load_error(tmp_path / "nowhere")
    assert str(tmp_path / "nowhere") in message
    assert "not a folder" in message


def test_a_missing_variant_file_is_named(tmp_path: Path) -> None:
    folder = copy_exercise(tmp_path)
    (folder / "wrong" / "hard_coded.py").unlink()
    message = load_error(folder)
    assert str(folder / DATA_FILE) in message
    assert "wrong/hard_coded.py" in message
    assert "does not exist" in message


def test_missing_reference_and_style_files_are_all_named(tmp_path: Path) -> None:
    folder = copy_exercise(tmp_path)
    (folder / "solution.py").unlink()
    (folder / "styles" / "router.py").unlink()
    with pytest.raises(ExerciseError) as raised:
        load_exercise(folder)
    error = raised.value
    assert len(error.problems) == 2
    assert "solution.py" in error.problems[0]
    assert "styles/router.py" in error.problems[1]


def test_slug_must_match_the_folder(tmp_path: Path) -> None:
    folder = copy_exercise(tmp_path, "echo-twice")
    message = load_error(folder)
    assert str(folder / DATA_FILE) in message
    assert "field slug" in message
    assert "'echo-once'" in message and "'echo-twice'" in message


def test_slug_defaults_to_the_folder_name(tmp_path: Path) -> None:
    folder = copy_exercise(tmp_path, "echo-again")
    rewrite(folder, lambda data: data.pop("slug"))
    assert load_exercise(folder).slug == "echo-again"


def test_load_exercises_sorts_by_order_then_slug(tmp_path: Path) -> None:
    first = copy_exercise(tmp_path, "b-first")
    rewrite(first, lambda data: data.update(slug="b-first", order=1))
    second = copy_exercise(tmp_path, "a-second")
    rewrite(second, lambda data: data.update(slug="a-second", order=2))
    third = copy_exercise(tmp_path, "c-third")
    rewrite(third, lambda data: data.update(slug="c-third", order=2))
    (tmp_path / "not-an-exercise").mkdir()

    assert [e.slug for e in load_exercises(tmp_path)] == ["b-first", "a-second", "c-third"]


def test_load_exercises_stops_at_a_bad_one(tmp_path: Path) -> None:
    copy_exercise(tmp_path)
    bad = copy_exercise(tmp_path, "broken")
    (bad / DATA_FILE).write_text("title: [unclosed\n", encoding="utf-8")
    with pytest.raises(ExerciseError, match="broken"):
        load_exercises(tmp_path)


def test_load_exercises_of_a_missing_root_is_empty(tmp_path: Path) -> None:
    assert load_exercises(tmp_path / "nothing-here") == []


def test_the_shipped_exercises_all_load() -> None:
    exercises = load_exercises()
    assert exercises[0].slug == "echo-once"
    assert len({e.slug for e in exercises}) == len(exercises)


def test_find_exercise_by_slug_and_by_folder(tmp_path: Path) -> None:
    assert find_exercise("echo-once").folder == ECHO_ONCE.resolve()
    folder = copy_exercise(tmp_path)
    assert find_exercise(str(folder)).folder == folder.resolve()
    assert find_exercise("echo-once", root=tmp_path).folder == folder.resolve()


def test_find_exercise_names_the_known_ones(tmp_path: Path) -> None:
    copy_exercise(tmp_path)
    with pytest.raises(UnknownExercise) as caught:
        find_exercise("echo-twice", root=tmp_path)
    assert str(caught.value) == "unknown exercise 'echo-twice' (known exercises: echo-once)"


def test_find_exercise_does_not_walk_out_of_the_root(tmp_path: Path) -> None:
    copy_exercise(tmp_path / "elsewhere")
    (tmp_path / "root").mkdir()
    with pytest.raises(UnknownExercise):
        find_exercise("../elsewhere/echo-once", root=tmp_path / "root")
