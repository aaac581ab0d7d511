"""The SPEC's result JSON: one object for one submission, JSON Lines for several."""

from __future__ import annotations

import json
from typing import Any

from grader.results import Results


def to_dict(results: Results) -> dict[str, Any]:
    """Exactly the SPEC's result object; the learner's variable trace is a platform extra."""
    return results.model_dump(mode="json", exclude={"steps": {"__all__": {"variables"}}})


def dumps(results: Results, *, many: bool) -> str:
    """One line per submission when ``many``; an indented object for a lone submission."""
    if many:
        return json.dumps(to_dict(results), ensure_ascii=False, separators=(",", ":")) + "\n"
    return json.dumps(to_dict(results), ensure_ascii=False, indent=2) + "\n"
