"""Human-readable results: a Rich table per submission and a summary line."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from grader.formats._text import truncate
from grader.results import Results, Status, StepStatus

OUTPUT_LIMIT = 2000

_STEP_STYLES = {
    StepStatus.PASSED: "green",
    StepStatus.FAILED: "bold red",
    StepStatus.TIMEOUT: "bold yellow",
    StepStatus.ERROR: "bold magenta",
    StepStatus.SKIPPED: "dim",
}
_STATUS_STYLES = {Status.PASSED: "bold green", Status.FAILED: "bold red", Status.ERROR: "bold magenta"}


def _heading(results: Results) -> Text:
    heading = Text()
    heading.append(f"{results.exercise} · {results.submission}  ", style="bold")
    heading.append(results.status.value.upper(), style=_STATUS_STYLES[results.status])
    heading.append(f"  {results.score:g}/{results.max_score:g} steps  {results.duration_ms:.0f} ms", style="dim")
    return heading


def _steps_table(results: Results) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False)
    table.add_column("Step", justify="right", no_wrap=True)
    table.add_column("Trace row", overflow="fold")
    table.add_column("Status", no_wrap=True)
    table.add_column("Expected", overflow="fold")
    table.add_column("Actual", overflow="fold")
    table.add_column("Message", overflow="fold")
    for step in results.steps:
        shown = step.status not in (StepStatus.PASSED, StepStatus.SKIPPED)
        # Every cell is a Text, never a str: Rich would read a str as markup, and learner text such as
        # "[/]" would then fail the whole batch (or style itself).
        table.add_row(
            Text(str(step.n)),
            Text(step.title),
            Text(step.status.value, style=_STEP_STYLES[step.status]),
            Text(step.expected if shown else ""),
            Text(step.actual if shown else "", style="red"),
            Text(step.message),
            style="dim" if step.status is StepStatus.SKIPPED else None,
        )
    return table


def submission_view(results: Results) -> RenderableType:
    parts: list[RenderableType] = [_heading(results)]
    if results.steps:
        parts.append(_steps_table(results))
    if results.message:
        parts.append(Text(results.message, style=_STATUS_STYLES[results.status]))
    if results.output:
        parts.append(Text("Output of the submission:", style="bold"))
        parts.append(Text(truncate(results.output, OUTPUT_LIMIT), style="dim"))
    parts.append(Text(""))
    return Group(*parts)


def summary_view(all_results: Sequence[Results]) -> Text:
    counts = Counter(r.status for r in all_results)
    noun = "submission" if len(all_results) == 1 else "submissions"
    line = Text(f"{len(all_results)} {noun}: ", style="bold")
    for index, status in enumerate(Status):
        if index:
            line.append(", ")
        line.append(f"{counts[status]} {status.value}", style=_STATUS_STYLES[status] if counts[status] else "dim")
    return line
