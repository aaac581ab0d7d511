"""A real graded run carries each step's ``frames`` and ``paused_line`` (the SPEC's optional result
fields): the result JSON keeps them, and the Gradescope and Exercism documents, which have no place
for them, still validate against their published schemas."""

from __future__ import annotations

import json
from typing import Any

import jsonschema

from grader.formats.exercism import to_dict as exercism_dict
from grader.formats.gradescope import to_dict as gradescope_dict
from grader.formats.json_lines import to_dict as json_dict
from grader.grading import grade_source
from grader.limits import Limits
from grader.loader import find_exercise
from grader.results import Results, Status
from grader.sandbox import Sandbox


def _graded(files: list[str]) -> list[Results]:
    exercise = find_exercise("echo-once")
    with Sandbox(Limits(step_timeout=1.0)) as sandbox:
        return [
            grade_source(exercise, exercise.source(file), sandbox=sandbox, submission=file, seed=3) for file in files
        ]


def test_results_with_frames_and_paused_lines_validate_for_gradescope_and_exercism(
    gradescope_schema: dict[str, Any], exercism_schema: dict[str, Any]
) -> None:
    exercise = find_exercise("echo-once")
    passed, failed = _graded([exercise.reference, "wrong/type_error.py"])
    assert passed.status is Status.PASSED and failed.status is Status.FAILED
    for results in (passed, failed):
        assert any(step.frames for step in results.steps) and any(step.paused_line for step in results.steps)
        document = json_dict(results)
        recorded = [step for step in document["steps"] if "frames" in step]
        assert recorded and all(set(step["frames"][0]) >= {"client", "direction", "type"} for step in recorded)
        assert any(isinstance(step.get("paused_line"), int) for step in document["steps"])
        jsonschema.validate(gradescope_dict(results), gradescope_schema)
        jsonschema.validate(exercism_dict(results, exercise), exercism_schema)
        jsonschema.validate(exercism_dict(results), exercism_schema)
        for other in (gradescope_dict(results), exercism_dict(results, exercise)):
            text = json.dumps(other)
            assert '"frames"' not in text and '"paused_line"' not in text
