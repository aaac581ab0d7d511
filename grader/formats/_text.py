"""Small text helpers shared by the formats."""

from __future__ import annotations

from grader.results import Results, StepResult, StepStatus

_STATUS_WORDS = {
    StepStatus.PASSED: "passed",
    StepStatus.FAILED: "failed",
    StepStatus.TIMEOUT: "timed out",
    StepStatus.ERROR: "error",
    StepStatus.SKIPPED: "not run (an earlier step did not pass)",
}


def truncate(text: str, limit: int, notice: str = "... (truncated)") -> str:
    if len(text) <= limit:
        return text
    return text[: max(limit - len(notice), 0)] + notice


def step_name(step: StepResult) -> str:
    return f"Step {step.n}: {step.title}"


def step_report(step: StepResult) -> str:
    """What a learner needs to read about one step: outcome, expected, actual, why."""
    if step.status is StepStatus.SKIPPED:
        return step.message or _STATUS_WORDS[step.status].capitalize()
    lines = [_STATUS_WORDS[step.status].capitalize()]
    if step.status is not StepStatus.PASSED:
        if step.expected:
            lines.append(f"Expected: {step.expected}")
        if step.actual:
            lines.append(f"Actual: {step.actual}")
    if step.message:
        lines.append(step.message)
    return "\n".join(lines)


def summary_line(results: Results) -> str:
    return (
        f"{results.exercise} / {results.submission}: {results.status.value} ({results.score:g}/{results.max_score:g})"
    )
