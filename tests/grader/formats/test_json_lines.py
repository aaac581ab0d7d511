from __future__ import annotations

import json

from grader.formats import Format, render
from grader.formats.json_lines import dumps, to_dict
from grader.results import Results


def test_one_submission_is_one_object_with_the_spec_fields(failed: Results) -> None:
    document = json.loads(render(Format.JSON, [failed]))
    assert set(document) == {
        "exercise",
        "submission",
        "status",
        "score",
        "max_score",
        "message",
        "output",
        "duration_ms",
        "steps",
    }
    assert document["status"] == "failed"
    assert [s["n"] for s in document["steps"]] == [1, 2, 3, 4, 5, 6, 7]
    assert set(document["steps"][1]) == {"n", "title", "status", "expected", "actual", "message", "duration_ms"}
    assert document["steps"][1]["status"] == "failed"
    assert document["steps"][2]["status"] == "skipped"


def test_several_submissions_are_json_lines(passed: Results, failed: Results, errored: Results) -> None:
    out = render(Format.JSON, [passed, failed, errored])
    lines = out.splitlines()
    assert len(lines) == 3
    assert [json.loads(line)["status"] for line in lines] == ["passed", "failed", "error"]


def test_round_trips_through_the_results_model(errored: Results) -> None:
    assert Results.model_validate_json(dumps(errored, many=False)) == errored
    assert Results.model_validate(to_dict(errored)) == errored


def test_keeps_non_ascii_text_readable(build: object, passed: Results) -> None:
    unicode = passed.model_copy(update={"submission": "élève.py"})
    assert "élève.py" in render(Format.JSON, [unicode])
