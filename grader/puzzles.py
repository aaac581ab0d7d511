"""Puzzles generated from a lesson's own data: Parsons blocks (the sample's logical lines) with
distractors taken from the known-wrong variants, and the sample with its key parts blanked.

Pure functions of an ``Exercise``: the platform shuffles and stores, ``tracedojo check`` validates,
and the assembled or filled-in code always goes through the grader (so any working answer passes).
"""

from __future__ import annotations

import difflib
import io
import re
import tokenize
from dataclasses import dataclass

from grader.exercise import Exercise

INDENT = "    "
MAX_BLANKS = 4
# The calls a lesson is about: a blank goes on these lines first (accept, receive, reply, close).
_KEY_CALLS = ("accept", "receive", "send", "close", "iter_")
_ASSIGNMENT = re.compile(r"^([A-Za-z_][\w.\[\]\"', ]*?)\s*(?::[^=]+)?=(?!=)\s*(.+)$")
_SIMILAR = 0.5
_AUTHORED = 2.0  # ranks above any similarity ratio


@dataclass(frozen=True)
class LogicalLine:
    """One logical line of the sample: its physical lines (1-based, inclusive) and indentation level."""

    first: int
    last: int
    level: int
    text: str  # the lines without the statement's own indentation, joined by newlines

    @property
    def lines(self) -> range:
        return range(self.first, self.last + 1)


@dataclass(frozen=True)
class Block:
    """A Parsons block: sample lines (``source`` is the logical line's index) or a distractor."""

    key: str  # "s<index>" for a sample line, "d<index>" for a distractor: stable per lesson
    text: str
    level: int  # the indentation level it has in the sample (the paired line's, for a distractor)
    distractor: bool = False
    from_variant: str = ""  # the wrong variant a derived distractor comes from
    replaces: str = ""  # the sample block's key a distractor stands in for
    first_line: int = 0  # the sample line a sample block starts at

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")

    @property
    def sample_lines(self) -> range:
        """The sample lines a sample block holds (none for a distractor)."""
        return range(self.first_line, self.first_line + len(self.lines)) if self.first_line else range(0)


@dataclass(frozen=True)
class Blank:
    key: str  # "blank-1", ...
    line: int  # the sample line (1-based)
    prefix: str  # kept text before the blank (indentation and an assignment target)
    answer: str  # the sample's text in the blank
    steps: tuple[int, ...]  # the execution-table rows that run this line


class PuzzleError(ValueError):
    """A lesson whose sample cannot be cut into a puzzle."""


def logical_lines(code: str) -> list[LogicalLine]:
    """The sample's statements and clause headers, each with its physical lines (comments and blank lines
    left out). Raises ``PuzzleError`` for code Python cannot tokenize."""
    physical = code.splitlines()
    result: list[LogicalLine] = []
    start: int | None = None
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            if token.type in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER):
                continue
            if start is None:
                start = token.start[0]
            if token.type == tokenize.NEWLINE:
                result.append(_logical(physical, start, token.start[0]))
                start = None
    except (tokenize.TokenError, IndentationError, SyntaxError) as exc:
        raise PuzzleError(f"the sample is not valid Python: {exc}") from exc
    if start is not None:
        result.append(_logical(physical, start, len(physical)))
    return result


def _logical(physical: list[str], first: int, last: int) -> LogicalLine:
    lines = physical[first - 1 : last]
    indent = len(lines[0]) - len(lines[0].lstrip(" "))
    text = "\n".join(line[min(indent, len(line) - len(line.lstrip(" "))) :].rstrip() for line in lines)
    return LogicalLine(first=first, last=last, level=indent // len(INDENT), text=text)


def _canonical(text: str) -> str:
    """A statement's text with its layout left out (spaces, line breaks, a trailing comma), so that a
    variant writing the same statement on one line is not taken for another statement."""
    return _TRAILING_COMMA.sub(r"\1", re.sub(r"\s+", "", text))


_TRAILING_COMMA = re.compile(r",([)\]}])")


def _is_import(text: str) -> bool:
    return text.startswith(("import ", "from "))


def sample_blocks(exercise: Exercise) -> list[Block]:
    return [
        Block(key=f"s{index}", text=line.text, level=line.level, first_line=line.first)
        for index, line in enumerate(logical_lines(exercise.sample.code))
    ]


def distractor_blocks(exercise: Exercise) -> list[Block]:
    """Lines of the wrong variants that stand where the sample has a similar line (a missing ``await``,
    another reply text...), the author's own first; at most ``modes.max_distractors``, each standing in
    for a different sample line where the lesson allows."""
    blocks = sample_blocks(exercise)
    by_text = {_canonical(b.text): b for b in blocks}
    candidates: list[tuple[float, Block]] = []
    seen = set(by_text)
    for index, text in enumerate(exercise.modes.distractors):
        canonical = _canonical(text)
        if canonical in seen:
            continue
        seen.add(canonical)
        paired = _most_similar(canonical, blocks)
        candidates.append(
            (
                2.0,
                Block(
                    key="",
                    text=text.strip(),
                    level=paired.level if paired else 0,
                    distractor=True,
                    replaces=paired.key if paired else "",
                    from_variant=f"modes.distractors[{index}]",
                ),
            )
        )
    sample_texts = [_canonical(b.text) for b in blocks]
    for variant in exercise.variants:
        try:
            wrong = logical_lines(exercise.source(variant.file))
        except (PuzzleError, OSError):
            continue
        wrong_texts = [_canonical(line.text) for line in wrong]
        matcher = difflib.SequenceMatcher(a=sample_texts, b=wrong_texts, autojunk=False)
        for tag, a1, a2, b1, b2 in matcher.get_opcodes():
            if tag != "replace":
                continue
            for j in range(b1, b2):
                text = wrong_texts[j]
                if text in seen or "\n" in wrong[j].text or _is_import(wrong[j].text):
                    continue
                options = blocks[a1:a2]
                paired = _most_similar(text, options)
                if paired is None:
                    continue
                ratio = difflib.SequenceMatcher(a=_canonical(paired.text), b=text).ratio()
                if ratio < _SIMILAR:
                    continue
                seen.add(text)
                candidates.append(
                    (
                        ratio,
                        Block(
                            key="",
                            text=wrong[j].text,
                            level=paired.level,
                            distractor=True,
                            from_variant=variant.file,
                            replaces=paired.key,
                        ),
                    )
                )
    return [
        Block(
            key=f"d{index}",
            text=b.text,
            level=b.level,
            distractor=True,
            from_variant=b.from_variant,
            replaces=b.replaces,
        )
        for index, b in enumerate(_spread(candidates, exercise.modes.max_distractors))
    ]


def _most_similar(text: str, blocks: list[Block]) -> Block | None:
    scored = [(difflib.SequenceMatcher(a=_canonical(b.text), b=text).ratio(), b) for b in blocks]
    return max(scored, key=lambda pair: pair[0])[1] if scored else None


def _spread(candidates: list[tuple[float, Block]], limit: int) -> list[Block]:
    """The most similar candidates first, one per sample line until every such line has one."""
    ranked = sorted(candidates, key=lambda pair: -pair[0])
    chosen = [block for ratio, block in ranked if ratio >= _AUTHORED][:limit]  # the author's come first
    used = {block.replaces for block in chosen}
    for _ratio, block in ranked:
        if len(chosen) < limit and block.replaces not in used:
            chosen.append(block)
            used.add(block.replaces)
    for _ratio, block in ranked:
        if len(chosen) < limit and block not in chosen:
            chosen.append(block)
    return chosen


def assemble(blocks: list[tuple[Block, int]]) -> str:
    """The code of blocks in order, each at its indentation level."""
    out: list[str] = []
    for block, level in blocks:
        out.extend((INDENT * level + line) if line else "" for line in block.lines)
    return "\n".join(out) + "\n"


def blanks(exercise: Exercise) -> list[Blank]:
    """The key parts of the sample: the lines ``modes.blank_lines`` names, else the single-line statements
    the execution table runs that call accept, receive, send or close (up to ``MAX_BLANKS``)."""
    physical = exercise.sample.code.splitlines()
    logical = {line.first: line for line in logical_lines(exercise.sample.code) if line.first == line.last}
    steps_of: dict[int, list[int]] = {}
    for row in exercise.execution_table:
        for line in row.lines:
            steps_of.setdefault(line, []).append(row.n)
    if exercise.modes.blank_lines:
        chosen = sorted(set(exercise.modes.blank_lines))
    else:
        candidates = [
            n
            for n in sorted(steps_of)
            if n in logical and not logical[n].text.endswith(":") and not logical[n].text.startswith("@")
        ]
        key = [n for n in candidates if any(f".{call}" in physical[n - 1] for call in _KEY_CALLS)]
        chosen = sorted(_spaced(key, MAX_BLANKS))
    result = []
    for index, n in enumerate(chosen, start=1):
        text = physical[n - 1]
        indent = text[: len(text) - len(text.lstrip())]
        body = text.strip()
        match = _ASSIGNMENT.match(body)
        prefix, answer = (body[: match.start(2)], match.group(2)) if match else ("", body)
        result.append(
            Blank(
                key=f"blank-{index}",
                line=n,
                prefix=indent + prefix,
                answer=answer.strip(),
                steps=tuple(steps_of.get(n, ())),
            )
        )
    return result


def _spaced(lines: list[int], limit: int) -> list[int]:
    """At most ``limit`` of ``lines``, spread over the sample (the first and last kept)."""
    if len(lines) <= limit:
        return lines
    step = (len(lines) - 1) / (limit - 1)
    return [lines[round(i * step)] for i in range(limit)]


def fill(exercise: Exercise, fills: dict[str, str]) -> str:
    """The sample with each blank replaced by the learner's text."""
    physical = exercise.sample.code.splitlines()
    for blank in blanks(exercise):
        physical[blank.line - 1] = blank.prefix + fills.get(blank.key, "")
    return "\n".join(physical) + "\n"


def _statements(code: str) -> list[str]:
    return [line.rstrip() for line in code.splitlines() if line.strip() and not line.strip().startswith("#")]


def answer_codes(exercise: Exercise) -> list[tuple[str, str]]:
    """(name, code) of what the Parsons puzzle and the blanks spell when answered with the sample itself:
    ``tracedojo check`` grades it, so a puzzle whose own answer fails is reported as unsolvable."""
    try:
        parsons = assemble([(b, b.level) for b in sample_blocks(exercise)])
        filled = fill(exercise, {b.key: b.answer for b in blanks(exercise)})
    except PuzzleError:
        return []  # ``problems`` names it
    if _statements(parsons) == _statements(filled):
        return [("modes: the Parsons and blanks answer (the sample's own code)", parsons)]
    return [
        ("modes: the Parsons answer (the sample's blocks in order)", parsons),
        ("modes: the blanks filled from the sample", filled),
    ]


def problems(exercise: Exercise) -> list[str]:
    """What keeps a lesson's modes from being playable, for ``tracedojo check``."""
    found: list[str] = []
    try:
        blocks = sample_blocks(exercise)
        if len(blocks) < 3:
            found.append(f"modes: the sample has {len(blocks)} statements; a Parsons puzzle needs at least 3")
        if not blanks(exercise):
            found.append(
                "modes: no line to blank (no single-line accept/receive/send/close call that a row runs); "
                "name some in modes.blank_lines"
            )
        if _statements(assemble([(b, b.level) for b in blocks])) != _statements(exercise.sample.code):
            found.append("modes: the sample's blocks do not assemble back into the sample")
        distractor_blocks(exercise)
    except PuzzleError as exc:
        found.append(f"modes: {exc}")
    return found
