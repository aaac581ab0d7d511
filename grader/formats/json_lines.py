"""The SPEC's result JSON: one object for one submission, JSON Lines for several."""

from __future__ import annotations

import json
from typing import Any

from grader.results import Results


def to_dict(results: Results) -> dict[str, Any]:
    """Exactly the SPEC's result object; the learner's variable trace is a platform extra. A step's
    ``frames`` and ``paused_line`` are optional in the SPEC: present only when the grader recorded them."""
    document = results.model_dump(mode="json", exclude={"steps": {"__all__": {"variables"}}})
    for step in document["steps"]:
        if not step["frames"]:
            del step["frames"]
        if step["paused_line"] is None:
            del step["paused_line"]
    return document


def dumps(results: Results, *, many: bool) -> str:
    """One line per submission when ``many``; an indented object for a lone submission."""
    if many:
        return json.dumps(to_dict(results), ensure_ascii=False, separators=(",", ":")) + "\n"
    return json.dumps(to_dict(results), ensure_ascii=False, indent=2) + "\n"
