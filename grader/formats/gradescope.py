"""Gradescope autograder ``results.json`` (gradescope-autograders.readthedocs.io, "Autograder Specifications")."""

from __future__ import annotations

import json
from typing import Any, Literal

from grader.formats._text import step_name, step_report, summary_line, truncate
from grader.results import Results, StepStatus

Visibility = Literal["hidden", "after_due_date", "after_published", "visible"]

# Gradescope shows ``output`` in a <pre>; keep a runaway submission's prints readable.
OUTPUT_LIMIT = 8000


def _overall_output(results: Results) -> str:
    parts = [summary_line(results)]
    if results.message:
        parts.append(results.message)
    failed = results.failed_step()
    if failed is not None:
        parts.append(f"First step that did not pass: {step_name(failed)}")
    if results.output:
        parts.append("Output of your code:\n" + truncate(results.output, OUTPUT_LIMIT))
    return "\n\n".join(parts)


def to_dict(results: Results, *, visibility: Visibility = "visible") -> dict[str, Any]:
    per_step = results.max_score / len(results.steps) if results.steps else 0.0
    tests = [
        {
            "name": step_name(step),
            "number": str(step.n),
            "score": per_step if step.status is StepStatus.PASSED else 0.0,
            "max_score": per_step,
            "status": "passed" if step.status is StepStatus.PASSED else "failed",
            "output": step_report(step),
            "visibility": visibility,
        }
        for step in results.steps
    ]
    return {
        "score": results.score,
        "execution_time": round(results.duration_ms / 1000, 6),
        "output": _overall_output(results),
        "visibility": visibility,
        # Our own stdout carries nothing a learner should not see, but Gradescope's
        # default (instructors only) is the safe one for output of learner code.
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def dumps(results: Results, *, many: bool) -> str:
    if many:
        return json.dumps(to_dict(results), ensure_ascii=False, separators=(",", ":")) + "\n"
    return json.dumps(to_dict(results), ensure_ascii=False, indent=2) + "\n"
