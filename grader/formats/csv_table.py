"""One CSV row per submission, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io

from grader.results import Results

COLUMNS = (
    "exercise",
    "submission",
    "status",
    "score",
    "max_score",
    "failed_step",
    "failed_step_title",
    "message",
    "duration_ms",
)

# Spreadsheets run a cell that starts with one of these as a formula (CWE-1236).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defuse(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def row(results: Results) -> list[str]:
    failed = results.failed_step()
    message = results.message or (failed.message if failed else "")
    cells = [
        results.exercise,
        results.submission,
        results.status.value,
        f"{results.score:g}",
        f"{results.max_score:g}",
        str(failed.n) if failed else "",
        failed.title if failed else "",
        message,
        f"{results.duration_ms:.1f}",
    ]
    return [defuse(cell) for cell in cells]


def _line(cells: list[str] | tuple[str, ...]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue()


def header() -> str:
    return _line(COLUMNS)


def dumps(results: Results) -> str:
    return _line(row(results))
