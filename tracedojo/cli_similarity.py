"""``tracedojo similarity EXERCISE``: how much learners' best submissions share, as a ranked table."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlmodel import Session

from tracedojo.db import make_engine, migrate
from tracedojo.lessons import Catalog
from tracedojo.similarity import SimilarityReport, similarity_report


class SimilarityFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def similarity(
    exercise: Annotated[str, typer.Argument(help="The slug of the exercise whose submissions to compare.")],
    top: Annotated[int, typer.Option(min=1, max=10_000, help="Show at most this many pairs.")] = 20,
    output: Annotated[SimilarityFormat, typer.Option("--format", help="text (a table) or json.")] = (
        SimilarityFormat.TEXT
    ),
) -> None:
    """Rank pairs of learners by how much their best submissions share (sample and starter code left out)."""
    from tracedojo.cli_platform import _settings

    settings = _settings()
    err = Console(stderr=True, highlight=False)
    catalog = Catalog.load(settings.exercises_dir)
    target = catalog.get(exercise)
    if target is None:
        known = ", ".join(e.slug for e in catalog) or "none"
        err.print(f"Error: unknown exercise {exercise!r} (known exercises: {known})", markup=False, soft_wrap=True)
        raise typer.Exit(2)
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
        with Session(engine) as session:
            report = similarity_report(session, exercise=target, marked=0)
    finally:
        engine.dispose()
    if output is SimilarityFormat.JSON:
        typer.echo(json.dumps(report_json(report, top=top), indent=2))
    else:
        print_report(Console(highlight=False), report, top=top)


def report_json(report: SimilarityReport, *, top: int) -> dict[str, object]:
    return {
        "exercise": report.exercise,
        "learners": report.candidates,
        "pairs_compared": report.compared,
        "pairs": [
            {
                "rank": n,
                "share": round(pair.share, 4),
                "shared_tokens": pair.shared_tokens,
                "left": {
                    "username": pair.left.username,
                    "submission": pair.left.submission_id,
                    "share": round(pair.left_share, 4),
                },
                "right": {
                    "username": pair.right.username,
                    "submission": pair.right.submission_id,
                    "share": round(pair.right_share, 4),
                },
            }
            for n, pair in enumerate(report.pairs[:top], start=1)
        ],
    }


def print_report(console: Console, report: SimilarityReport, *, top: int) -> None:
    console.print(
        f"{report.exercise}: {report.candidates} learner(s) with a graded submission, {report.compared} pair(s) "
        f"compared, {len(report.pairs)} share code beyond the lesson's sample and starter",
        markup=False,
        soft_wrap=True,
    )
    if not report.pairs:
        return
    table = Table("#", "learner", "submission", "of theirs shared", "learner", "submission", "of theirs shared")
    table.add_column("shared tokens", justify="right")
    for n, pair in enumerate(report.pairs[:top], start=1):
        table.add_row(
            str(n),
            pair.left.username,
            f"#{pair.left.submission_id}",
            f"{pair.left_share:.0%}",
            pair.right.username,
            f"#{pair.right.submission_id}",
            f"{pair.right_share:.0%}",
            str(pair.shared_tokens),
        )
    console.print(table)
    console.print(
        "Shared code is measured, not judged: open the pairs side by side on "
        f"/instructor/exercises/{report.exercise}/similarity before drawing any conclusion.",
        markup=False,
        soft_wrap=True,
    )
