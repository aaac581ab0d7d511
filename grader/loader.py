"""Finding and loading exercise folders, with errors that name the file, field and problem."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from grader.checks import ACTION_NAMES
from grader.exercise import Exercise, fingerprint

DATA_FILE = "exercise.yaml"


class ExerciseError(Exception):
    """An exercise folder or data file that cannot be used."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        super().__init__(path, problems)
        self.path = path
        self.problems = problems

    def __str__(self) -> str:
        if len(self.problems) == 1:
            return f"{self.path}: {self.problems[0]}"
        return f"{self.path}:\n" + "\n".join(f"  - {p}" for p in self.problems)


class UnknownExercise(LookupError):
    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(name)
        self.name = name
        self.known = known

    def __str__(self) -> str:
        known = ", ".join(self.known) or "none"
        return f"unknown exercise {self.name!r} (known exercises: {known})"


def default_exercises_dir() -> Path:
    configured = os.environ.get("TRACEDOJO_EXERCISES_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parent.parent / "exercises"


def _field_path(loc: tuple[int | str, ...], data: Any) -> str:
    """``execution_table[2] (step 3).check[0] (expect_close).code``: list positions count from 0 as in
    YAML tooling, with the row's step number or the question's id beside them for humans."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int):
            node = node[item] if isinstance(node, list) and item < len(node) else None
            label = ""
            if isinstance(node, dict) and isinstance(node.get("n"), int):
                label = f" (step {node['n']})"
            elif isinstance(node, dict) and isinstance(node.get("id"), str):
                label = f" ({node['id']})"
            parts.append(f"[{item}]{label}")
        elif item in ACTION_NAMES and parts and parts[-1].startswith("["):
            parts.append(f" ({item})")
            node = None
        else:
            parts.append(("." if parts else "") + str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return "".join(parts) or "(top level)"


def _describe(error: ValidationError, data: Any) -> list[str]:
    problems = []
    for detail in error.errors():
        where = _field_path(tuple(detail["loc"]), data)
        message = detail["msg"].removeprefix("Value error, ")
        problems.append(f"field {where}: {message}")
    return problems


def load_exercise(folder: Path | str) -> Exercise:
    folder = Path(folder)
    data_file = folder / DATA_FILE
    if not folder.is_dir():
        raise ExerciseError(folder, ["not a folder"])
    try:
        raw_bytes = data_file.read_bytes()
    except OSError as exc:
        raise ExerciseError(data_file, [f"cannot read the data file ({exc.strerror})"]) from exc
    try:
        data = yaml.safe_load(raw_bytes)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ExerciseError(data_file, [f"{where}invalid YAML: {problem}"]) from exc
    if not isinstance(data, dict):
        raise ExerciseError(data_file, ["the file must hold a mapping of lesson sections"])
    data.setdefault("slug", folder.name)
    try:
        exercise = Exercise.model_validate(data)
    except ValidationError as exc:
        raise ExerciseError(data_file, _describe(exc, data)) from exc
    if exercise.slug != folder.name:
        raise ExerciseError(
            data_file, [f"field slug: {exercise.slug!r} does not match the folder name {folder.name!r}"]
        )
    missing = [
        name
        for name in [exercise.reference, *exercise.also_correct, *(v.file for v in exercise.variants)]
        if not (folder / name).is_file()
    ]
    if missing:
        raise ExerciseError(data_file, [f"file {name} is named in the exercise but does not exist" for name in missing])
    return exercise.model_copy(update={"folder": folder.resolve(), "version": fingerprint(raw_bytes)})


def load_exercises(root: Path | str | None = None) -> list[Exercise]:
    """Every exercise under ``root``, in curriculum order. Raises on the first bad one."""
    root = Path(root) if root is not None else default_exercises_dir()
    folders = sorted(p for p in root.iterdir() if (p / DATA_FILE).is_file()) if root.is_dir() else []
    exercises = [load_exercise(folder) for folder in folders]
    return sorted(exercises, key=lambda e: (e.order, e.slug))


def find_exercise(name: str, root: Path | str | None = None) -> Exercise:
    """An exercise by slug, or by the path of its folder."""
    candidate = Path(name)
    if (candidate / DATA_FILE).is_file():
        return load_exercise(candidate)
    root = Path(root) if root is not None else default_exercises_dir()
    folder = root / name
    if "/" not in name and (folder / DATA_FILE).is_file():
        return load_exercise(folder)
    known = sorted(p.name for p in root.iterdir() if (p / DATA_FILE).is_file()) if root.is_dir() else []
    raise UnknownExercise(name, known)
