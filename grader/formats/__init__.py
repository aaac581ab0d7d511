"""Result formats. Every format reads the one results model in ``grader.results``.

``ResultsWriter`` streams submissions as they are graded (a header first for CSV,
a summary line last for text); ``render`` does the same into a string.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from enum import StrEnum
from typing import TextIO

from rich.console import Console, RenderableType

from grader.exercise import Exercise
from grader.formats import csv_table, exercism, gradescope, json_lines, text
from grader.results import Results


class Format(StrEnum):
    TEXT = "text"
    JSON = "json"
    GRADESCOPE = "gradescope"
    EXERCISM = "exercism"
    CSV = "csv"


class ResultsWriter:
    """Writes results in ``format`` to ``stream``; ``many`` says whether several submissions follow.

    ``exercise`` is the exercise graded; the Exercism format uses it to show each
    trace row's check as the test's code.
    """

    def __init__(
        self,
        format: Format,
        stream: TextIO,
        *,
        many: bool,
        exercise: Exercise | None = None,
    ) -> None:
        self.format = Format(format)
        self.stream = stream
        self.many = many
        self.exercise = exercise
        self.written: list[Results] = []
        self._console = Console(file=stream, highlight=False) if self.format is Format.TEXT else None
        if self.format is Format.CSV:
            self._emit(csv_table.header())

    def _emit(self, chunk: str) -> None:
        try:
            self.stream.write(chunk)
        except UnicodeEncodeError:
            # A stream in a narrower encoding than UTF-8 (a console set to latin-1, say): show what it
            # cannot print as escapes rather than lose this result and every one after it.
            encoding = getattr(self.stream, "encoding", None) or "ascii"
            self.stream.write(chunk.encode(encoding, "backslashreplace").decode(encoding))
        self.stream.flush()

    def write(self, results: Results) -> None:
        self.written.append(results)
        if self._console is not None:
            self._print(text.submission_view(results))
        elif self.format is Format.JSON:
            self._emit(json_lines.dumps(results, many=self.many))
        elif self.format is Format.GRADESCOPE:
            self._emit(gradescope.dumps(results, many=self.many))
        elif self.format is Format.EXERCISM:
            self._emit(exercism.dumps(results, many=self.many, exercise=self.exercise))
        else:
            self._emit(csv_table.dumps(results))

    def _print(self, renderable: RenderableType) -> None:
        # Rendered to a string first, then written like every other format (see ``_emit``).
        assert self._console is not None
        with self._console.capture() as captured:
            self._console.print(renderable)
        self._emit(captured.get())

    def finish(self) -> None:
        if self._console is not None and self.written:
            self._print(text.summary_view(self.written))


def render(
    format: Format | str,
    results: Iterable[Results],
    *,
    exercise: Exercise | None = None,
    many: bool | None = None,
) -> str:
    """All ``results`` in ``format`` as one string (``many`` defaults to "more than one")."""
    batch = list(results)
    buffer = io.StringIO()
    writer = ResultsWriter(Format(format), buffer, many=len(batch) > 1 if many is None else many, exercise=exercise)
    for item in batch:
        writer.write(item)
    writer.finish()
    return buffer.getvalue()


__all__ = ["Format", "ResultsWriter", "render"]
