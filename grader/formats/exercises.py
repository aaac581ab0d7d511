"""Terminal views of the exercises themselves: the curriculum table and the ``check`` report."""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from grader.exercise import Exercise
from grader.selfcheck import ExerciseCheck


def exercise_table(exercises: Sequence[Exercise]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, title="Exercises", title_justify="left")
    table.add_column("Order", justify="right")
    table.add_column("Slug", no_wrap=True, style="bold")
    table.add_column("Title", overflow="fold")
    table.add_column("Steps", justify="right")
    table.add_column("Quiz", justify="right")
    table.add_column("Builds on", overflow="fold")
    for exercise in exercises:
        table.add_row(
            str(exercise.order),
            exercise.slug,
            exercise.title,
            str(len(exercise.execution_table)),
            str(len(exercise.quiz)),
            ", ".join(exercise.builds_on) or "-",
        )
    return table


def _exercise_report(check: ExerciseCheck) -> RenderableType:
    heading = Text()
    heading.append("ok      " if check.ok else "PROBLEM ", style="bold green" if check.ok else "bold red")
    heading.append(check.name, style="bold")
    if check.solutions:
        good = sum(s.ok for s in check.solutions)
        heading.append(f"  {good}/{len(check.solutions)} solutions behave as declared", style="dim")
    lines: list[RenderableType] = [heading]
    lines.extend(Text(f"  {problem}", style="red") for problem in check.problems)
    for solution in check.solutions:
        if not solution.ok:
            lines.append(Text(f"  {solution.file}: {solution.problem}", style="red"))
    return Group(*lines)


def check_report(checks: Sequence[ExerciseCheck]) -> RenderableType:
    bad = [c for c in checks if not c.ok]
    noun = "exercise" if len(checks) == 1 else "exercises"
    summary = Text(
        f"{len(checks)} {noun} checked: {len(checks) - len(bad)} ok, {len(bad)} with problems",
        style="bold red" if bad else "bold green",
    )
    return Group(*(_exercise_report(c) for c in checks), summary)
