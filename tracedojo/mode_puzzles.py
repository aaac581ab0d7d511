"""Each learner's puzzle in the graded modes, and turning an answer into code for the grader.

Parsons: the sample's blocks plus distractors, shuffled by a seed of the learner's own, with adaptive help
after failed tries. Fill in the blanks: the sample with its key parts blanked. Fix the bug: one of the
lesson's wrong variants, another one after each fix."""

from __future__ import annotations

import hashlib
import itertools
import random
import re
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlmodel import Session

from grader import Exercise
from grader.exercise import Variant
from grader.puzzles import Blank, Block, assemble, blanks, distractor_blocks, fill, sample_blocks
from tracedojo.mode_attempts import FIX_SKIP, ModeAttempt, ModeAttemptPublic, first_failed_step, record_attempt
from tracedojo.models import Submission, SubmissionStatus, User
from tracedojo.submissions import submit

if TYPE_CHECKING:
    from tracedojo.platform_state import Platform

PARSONS, BLANKS, FIX = "parsons", "blanks", "fix"
MAX_LEVEL = 8
MAX_FILL = 300


class AnswerError(ValueError):
    """An answer that does not fit the learner's puzzle (answered as 422, with this message)."""


def seed_of(user_id: int, slug: str, mode: str) -> int:
    return int(hashlib.sha256(f"{user_id}:{slug}:{mode}".encode()).hexdigest()[:12], 16)


def _token(seed: int, key: str) -> str:
    return hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()[:10]


# --- Parsons ---------------------------------------------------------------------------------------


class ParsonsBlock(BaseModel):
    id: str
    lines: list[str]


class ParsonsHelp(BaseModel):
    """What the platform has done to help after failed tries (each level after one more failure)."""

    failed_tries: int
    removed: list[str] = []  # distractor ids taken out of the puzzle
    joined: list[list[str]] = []  # ids of blocks that now move as one, in order
    levels: dict[str, int] = {}  # the indentation of every block, once given
    messages: list[str] = []


class ParsonsPuzzle(BaseModel):
    exercise: str
    blocks: list[ParsonsBlock]  # shuffled; distractors among them
    distractors: int  # how many blocks do not belong (not which)
    subgoals: list[str]  # the concept flow's steps, as labels for the parts of the program
    help: ParsonsHelp


class PlacedBlock(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = PydanticField(min_length=1, max_length=32)
    indent: int = PydanticField(ge=0, le=MAX_LEVEL, description="indentation level (4 spaces each)")


class ParsonsAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    blocks: list[PlacedBlock] = PydanticField(min_length=1, max_length=200, description="the program, top to bottom")


def _parsons_blocks(exercise: Exercise, seed: int) -> dict[str, Block]:
    """Every block of the learner's puzzle by its id (the ids differ between learners)."""
    return {_token(seed, b.key): b for b in [*sample_blocks(exercise), *distractor_blocks(exercise)]}


def parsons_puzzle(exercise: Exercise, *, user_id: int, failed_tries: int) -> ParsonsPuzzle:
    seed = seed_of(user_id, exercise.slug, PARSONS)
    blocks = _parsons_blocks(exercise, seed)
    order = list(blocks)
    random.Random(seed).shuffle(order)
    return ParsonsPuzzle(
        exercise=exercise.slug,
        blocks=[ParsonsBlock(id=i, lines=blocks[i].lines) for i in order],
        distractors=sum(b.distractor for b in blocks.values()),
        subgoals=list(exercise.concept_flow.nodes),
        help=parsons_help(exercise, seed=seed, failed_tries=failed_tries),
    )


def parsons_help(exercise: Exercise, *, seed: int, failed_tries: int) -> ParsonsHelp:
    """One failure: a distractor goes; two: two blocks are joined; three: the indentation is given;
    every further failure takes out one more distractor."""
    help = ParsonsHelp(failed_tries=failed_tries)
    distractors = [_token(seed, b.key) for b in distractor_blocks(exercise)]
    gone = 0 if failed_tries < 1 else min(len(distractors), 1 + max(0, failed_tries - 3))
    help.removed = distractors[:gone]
    if gone:
        help.messages.append(
            f"{gone} block{'' if gone == 1 else 's'} that did not belong {'was' if gone == 1 else 'were'} taken out."
        )
    sample = sample_blocks(exercise)
    if failed_tries >= 2:
        pairs = [(a, b) for a, b in itertools.pairwise(sample) if a.level == b.level and a.level > 0]
        if pairs:
            first, second = pairs[seed % len(pairs)]
            help.joined = [[_token(seed, first.key), _token(seed, second.key)]]
            help.messages.append("Two blocks that go together were joined.")
    if failed_tries >= 3:
        help.levels = {_token(seed, b.key): b.level for b in sample}
        help.messages.append("Every block now has its indentation.")
    return help


def parsons_code(exercise: Exercise, *, user_id: int, answer: ParsonsAnswer) -> tuple[str, dict[str, Any]]:
    """The program the answer spells, and the answer's detail to store (with which distractors it used)."""
    seed = seed_of(user_id, exercise.slug, PARSONS)
    blocks = _parsons_blocks(exercise, seed)
    unknown = [p.id for p in answer.blocks if p.id not in blocks]
    if unknown:
        raise AnswerError(
            f"blocks: {', '.join(repr(u[:32]) for u in unknown[:3])} "
            f"{'is' if len(unknown) == 1 else 'are'} not a block of your puzzle"
        )
    ids = [p.id for p in answer.blocks]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise AnswerError(f"blocks: {', '.join(repr(t) for t in twice)} placed more than once")
    placed = [(blocks[p.id], p.indent) for p in answer.blocks]
    detail = {
        "blocks": [{"id": p.id, "indent": p.indent, "key": blocks[p.id].key} for p in answer.blocks],
        "distractors": [b.key for b, _ in placed if b.distractor],
        "left_out": sorted(b.key for i, b in blocks.items() if not b.distractor and i not in ids),
    }
    return assemble(placed), detail


def parsons_feedback(
    exercise: Exercise, detail: dict[str, Any], failed: tuple[int, str, str] | None, message: str
) -> str:
    """The first wrong block, named by its place in the learner's program."""
    keys = [str(b.get("key", "")) for b in detail.get("blocks", [])]
    sample = {b.key: b for b in sample_blocks(exercise)}
    if failed is None:
        line = _line_in(message)
        if line is None:
            return message
        position = _block_at_line(exercise, detail, line)
        return f"{message} (block {position} of your program)" if position else message
    n, title, said = failed
    row = exercise.execution_table[n - 1] if n <= len(exercise.execution_table) else None
    wanted = {k for k, b in sample.items() if row and set(b.sample_lines) & set(row.lines)} if row else set()
    where = [i for i, key in enumerate(keys, start=1) if key in wanted]
    used = [i for i, key in enumerate(keys, start=1) if key.startswith("d")]
    text = f"Step {n} ({title}) did not pass" + (f": {said}" if said else ".")
    if where:
        text += f" Look at block {where[0]} of your program and the blocks around it."
    elif used:
        text += f" Block {used[0]} of your program may not belong in it."
    else:
        text += " A block this step needs is missing from your program."
    return text


_LINE = re.compile(r"line (\d+)")


def _line_in(message: str) -> int | None:
    match = _LINE.search(message)
    return int(match.group(1)) if match else None


def _block_at_line(exercise: Exercise, detail: dict[str, Any], line: int) -> int | None:
    blocks = {b.key: b for b in [*sample_blocks(exercise), *distractor_blocks(exercise)]}
    at = 0
    for position, placed in enumerate(detail.get("blocks", []), start=1):
        block = blocks.get(str(placed.get("key", "")))
        if block is None:
            continue
        at += len(block.lines)
        if line <= at:
            return position
    return None


# --- Fill in the blanks -----------------------------------------------------------------------------


class BlankPublic(BaseModel):
    id: str
    line: int
    prefix: str  # the kept start of the line (indentation, an assignment target)
    label: str  # what the blank does, for its input's label
    steps: list[int]


class CodeSegment(BaseModel):
    """One line of the puzzle: plain code, or a line with a blank after ``prefix``."""

    text: str = ""
    blank: BlankPublic | None = None


class BlanksPuzzle(BaseModel):
    exercise: str
    lines: list[CodeSegment]
    blanks: list[BlankPublic]


class BlanksAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fills: dict[str, str] = PydanticField(description="the code for each blank, by the blank's id")


def _blank_public(exercise: Exercise, index: int, blank: Blank) -> BlankPublic:
    steps = ", ".join(str(n) for n in blank.steps)
    first = exercise.execution_table[blank.steps[0] - 1].action if blank.steps else ""
    label = f"Blank {index}, line {blank.line}" + (f" (step {steps}: {first})" if steps else "")
    return BlankPublic(id=blank.key, line=blank.line, prefix=blank.prefix, label=label, steps=list(blank.steps))


def blanks_puzzle(exercise: Exercise) -> BlanksPuzzle:
    found = {b.line: (i, b) for i, b in enumerate(blanks(exercise), start=1)}
    lines = []
    public = []
    for n, text in enumerate(exercise.sample.code.splitlines(), start=1):
        if n in found:
            blank = _blank_public(exercise, *found[n])
            public.append(blank)
            lines.append(CodeSegment(blank=blank))
        else:
            lines.append(CodeSegment(text=text))
    return BlanksPuzzle(exercise=exercise.slug, lines=lines, blanks=public)


def blanks_code(exercise: Exercise, answer: BlanksAnswer) -> tuple[str, dict[str, Any]]:
    wanted = [b.key for b in blanks(exercise)]
    unknown = sorted(set(answer.fills) - set(wanted))
    if unknown:
        raise AnswerError(
            f"fills: {', '.join(repr(u[:32]) for u in unknown[:3])} is not a blank of this lesson "
            f"(its blanks: {', '.join(wanted)})"
        )
    missing = [key for key in wanted if not answer.fills.get(key, "").strip()]
    if missing:
        raise AnswerError(
            f"fills: {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} empty; fill in every blank"
        )
    for key, text in answer.fills.items():
        if "\n" in text or "\r" in text:
            raise AnswerError(f"fills.{key}: one line of code, please (it has a line break)")
        if len(text) > MAX_FILL:
            raise AnswerError(f"fills.{key}: at most {MAX_FILL} characters (it has {len(text)})")
        if "\x00" in text:
            raise AnswerError(f"fills.{key}: contains a NUL character")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate, as JSON's "\ud800" allows
            raise AnswerError(f"fills.{key}: contains half of a surrogate pair; it is not valid Unicode text") from None
    fills = {key: answer.fills[key].strip() for key in wanted}
    right = {b.key: b.answer for b in blanks(exercise)}
    detail = {
        "fills": fills,
        "differs": sorted(k for k in wanted if " ".join(fills[k].split()) != " ".join(right[k].split())),
    }
    return fill(exercise, fills), detail


def blanks_feedback(exercise: Exercise, failed: tuple[int, str, str] | None, message: str) -> str:
    if failed is None:
        return message
    n, title, said = failed
    text = f"Step {n} ({title}) did not pass" + (f": {said}" if said else ".")
    named = [i for i, b in enumerate(blanks(exercise), start=1) if n in b.steps]
    if named:
        text += f" Step {n} runs blank {named[0]}."
    return text


# --- Fix the bug ------------------------------------------------------------------------------------


class FixPuzzle(BaseModel):
    exercise: str
    variant: str  # an opaque token of the wrong variant (its file name would give the bug away)
    code: str  # the wrong variant, or the learner's latest unfixed attempt at it
    fixed: int  # how many variants the learner has fixed
    skipped: int = 0  # how many times the learner moved on without fixing ("Try another bug")
    variants: int


class FixAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    variant: str = PydanticField(min_length=1, max_length=32, description="the puzzle's variant token")
    code: str = PydanticField(description="the edited program")


def variant_token(exercise: Exercise, variant: Variant) -> str:
    return hashlib.sha256(f"{exercise.slug}:{variant.file}".encode()).hexdigest()[:10]


def variant_of(exercise: Exercise, token: str) -> Variant:
    for variant in exercise.variants:
        if variant_token(exercise, variant) == token:
            return variant
    raise AnswerError(f"variant: {token[:32]!r} is not one of this lesson's bugs; reload the puzzle")


def current_variant(exercise: Exercise, *, user_id: int, attempts: list[ModeAttempt]) -> Variant:
    """The learner's own order of the variants: fixing the current one, or skipping it ("Try another bug",
    a ``FIX_SKIP`` row among ``attempts``), moves on to the next. A fix of an earlier one (say from a
    stale tab) moves nothing."""
    order = list(exercise.variants)
    random.Random(seed_of(user_id, exercise.slug, FIX)).shuffle(order)
    at = 0
    for row in sorted(attempts, key=lambda a: a.id or 0):
        moves_on = row.mode == FIX_SKIP or (row.mode == FIX and row.passed)
        if moves_on and row.variant == order[at % len(order)].file:
            at += 1
    return order[at % len(order)]


def fix_puzzle(
    exercise: Exercise, *, user_id: int, attempts: list[ModeAttempt], latest_code: dict[int, str]
) -> FixPuzzle:
    variant = current_variant(exercise, user_id=user_id, attempts=attempts)
    code = exercise.source(variant.file)
    tries = [a for a in attempts if a.mode == FIX]
    last_move = max((a.id or 0 for a in attempts if a.mode == FIX_SKIP or a.passed), default=0)
    mine = [
        a for a in tries if a.variant == variant.file and a.submission_id in latest_code and (a.id or 0) > last_move
    ]
    if mine and not any(a.passed for a in mine):
        code = latest_code[mine[-1].submission_id or 0]
    return FixPuzzle(
        exercise=exercise.slug,
        variant=variant_token(exercise, variant),
        code=code,
        fixed=len({a.variant for a in tries if a.passed}),
        skipped=sum(a.mode == FIX_SKIP for a in attempts),
        variants=len(exercise.variants),
    )


def fix_feedback(
    exercise: Exercise, variant_file: str, passed: bool | None, failed: tuple[int, str, str] | None, message: str
) -> str:
    if passed:
        why = next((v.why for v in exercise.variants if v.file == variant_file), "")
        return f"Fixed. The bug was: {' '.join(why.split())}" if why else "Fixed."
    if failed is None:
        return message
    n, title, said = failed
    return f"Step {n} ({title}) still does not pass" + (f": {said}" if said else ".")


# --- Attempts ---------------------------------------------------------------------------------------


def submit_attempt(
    session: Session,
    platform: Platform,
    *,
    user: User,
    exercise: Exercise,
    mode: str,
    code: str,
    variant: str = "",
    detail: dict[str, Any],
) -> ModeAttempt:
    """Grade ``code`` as a normal submission (the same queue, grader and row feedback) and store the attempt.

    Raises what ``submit`` raises (``RateLimited``, ``CodeTooLarge``)."""
    submission = submit(session, platform, user=user, exercise=exercise, code=code)
    return record_attempt(session, submission=submission, exercise=exercise, mode=mode, variant=variant, detail=detail)


def attempt_public(exercise: Exercise | None, row: ModeAttempt, submission: Submission | None) -> ModeAttemptPublic:
    """The attempt as its learner sees it, with feedback in the mode's own terms once it is graded."""
    assert row.id is not None
    status = SubmissionStatus(submission.status) if submission is not None else None
    feedback = ""
    if exercise is not None and submission is not None and status is not None and status.final:
        failed = first_failed_step(submission)
        if row.mode == PARSONS:
            feedback = "" if row.passed else parsons_feedback(exercise, row.detail, failed, submission.message)
        elif row.mode == BLANKS:
            feedback = "" if row.passed else blanks_feedback(exercise, failed, submission.message)
        elif row.mode == FIX:
            feedback = fix_feedback(exercise, row.variant, row.passed, failed, submission.message)
        if row.passed and not feedback:
            feedback = "Passed: every step of the trace behaves as the lesson says."
    answer = {k: v for k, v in row.detail.items() if k in ("blocks", "fills")}
    if row.mode == PARSONS:
        answer["blocks"] = [{"id": b.get("id"), "indent": b.get("indent")} for b in row.detail.get("blocks", [])]
    if row.mode == FIX and submission is not None:
        answer["code"] = submission.code
    return ModeAttemptPublic(
        id=row.id,
        exercise=row.exercise_slug,
        mode=row.mode,
        submission_id=row.submission_id,
        status=status,
        passed=row.passed,
        score=row.score,
        max_score=row.max_score,
        answer=answer,
        feedback=feedback,
        created_at=row.created_at,
    )
