"""How much learners' best submissions share, with copydetect's winnowed fingerprints (MOSS's method).

The lesson's sample and starter code are boilerplate: answers to a short endpoint are alike by
design, so only what learners wrote beyond them counts. This module measures and marks; it never
concludes anything, the instructor judges.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from sqlmodel import Session, col, select

from grader import Exercise
from tracedojo.models import Role, Submission, SubmissionStatus, User

# copydetect's defaults: a shared run must be at least 25 filtered characters long to count, and every
# run of 30 is guaranteed to be found (window = 30 - 25 + 1).
NOISE_THRESHOLD = 25
GUARANTEE_THRESHOLD = 30
_WINDOW = GUARANTEE_THRESHOLD - NOISE_THRESHOLD + 1
_GRADED = (SubmissionStatus.PASSED, SubmissionStatus.FAILED, SubmissionStatus.ERROR)


@dataclass(frozen=True)
class Candidate:
    """One learner's best submission of an exercise."""

    submission_id: int
    user_id: int
    username: str
    score: float | None
    max_score: float
    code: str


@dataclass(frozen=True)
class Segment:
    text: str
    shared: bool


@dataclass(frozen=True)
class SimilarPair:
    left: Candidate
    right: Candidate
    shared_tokens: int
    left_share: float  # of the left's fingerprinted code (boilerplate left out), the part also in the right
    right_share: float
    left_segments: list[Segment] = field(default_factory=list)
    right_segments: list[Segment] = field(default_factory=list)

    @property
    def share(self) -> float:
        return (self.left_share + self.right_share) / 2


@dataclass(frozen=True)
class SimilarityReport:
    exercise: str
    candidates: int
    pairs: list[SimilarPair]  # most shared first
    compared: int  # pairs compared, of which ``pairs`` are the ones that share anything


def best_submissions(session: Session, *, exercise_slug: str, user_ids: Iterable[int] | None = None) -> list[Candidate]:
    """Each learner's best graded submission (highest score, the latest among equals)."""
    query = (
        select(Submission, User.username)
        .join(User, col(User.id) == col(Submission.user_id))
        .where(Submission.exercise_slug == exercise_slug)
        .where(col(Submission.status).in_([str(s) for s in _GRADED]))
        .where(User.role == Role.LEARNER)
    )
    if user_ids is not None:
        query = query.where(col(Submission.user_id).in_(list(user_ids)))
    best: dict[int, tuple[Submission, str]] = {}
    for row, username in session.exec(query).all():
        held = best.get(row.user_id)
        if held is None or _rank(row) > _rank(held[0]):
            best[row.user_id] = (row, username)
    return [
        Candidate(
            submission_id=row.id or 0,
            user_id=row.user_id,
            username=username,
            score=row.score,
            max_score=row.max_score,
            code=row.code,
        )
        for row, username in sorted(best.values(), key=lambda pair: pair[1])
        if row.code.strip()
    ]


def _rank(row: Submission) -> tuple[float, int]:
    return (row.score if row.score is not None else -1.0, row.id or 0)


def boilerplate_of(exercise: Exercise) -> list[str]:
    return [text for text in (exercise.sample.code, exercise.starter) if text.strip()]


def compare(
    candidates: Sequence[Candidate], *, boilerplate: Sequence[str], exercise: str = "", marked: int | None = 20
) -> SimilarityReport:
    """Every pair of candidates that shares fingerprints, most shared first; the first ``marked``
    pairs (all when None) carry their code cut into shared and unshared segments."""
    # Imported here: copydetect brings numpy and matplotlib, which the rest of the platform does not need.
    from copydetect import CodeFingerprint, compare_files

    _hash_kgrams_stably()
    ignored = _boilerplate_hashes(boilerplate)
    prints = [
        CodeFingerprint(
            "submission.py", NOISE_THRESHOLD, _WINDOW, boilerplate=ignored, language="python", fp=io.StringIO(c.code)
        )
        for c in candidates
    ]
    found: list[tuple[SimilarPair, Any, Any]] = []
    compared = 0
    for (i, left), (j, right) in combinations(enumerate(candidates), 2):
        compared += 1
        overlap, (left_share, right_share), (left_slices, right_slices) = compare_files(prints[i], prints[j])
        if int(overlap) == 0:
            continue
        pair = SimilarPair(
            left=left,
            right=right,
            shared_tokens=int(overlap),
            left_share=min(float(left_share), 1.0),
            right_share=min(float(right_share), 1.0),
        )
        found.append((pair, left_slices, right_slices))
    found.sort(key=lambda item: (item[0].share, item[0].shared_tokens), reverse=True)
    pairs = [
        SimilarPair(
            left=pair.left,
            right=pair.right,
            shared_tokens=pair.shared_tokens,
            left_share=pair.left_share,
            right_share=pair.right_share,
            left_segments=segments(pair.left.code, left_slices),
            right_segments=segments(pair.right.code, right_slices),
        )
        if marked is None or n < marked
        else pair
        for n, (pair, left_slices, right_slices) in enumerate(found)
    ]
    return SimilarityReport(exercise=exercise, candidates=len(candidates), pairs=pairs, compared=compared)


def _stable_kgram_hashes(string: str, k: int) -> Any:
    import numpy as np

    grams = (string[offset : offset + k].encode() for offset in range(len(string) - k + 1))
    return np.array([int.from_bytes(hashlib.blake2b(g, digest_size=8).digest(), "big", signed=True) for g in grams])


def _hash_kgrams_stably() -> None:
    """copydetect hashes k-grams with Python's ``hash()``, which is salted per process (PYTHONHASHSEED):
    which fingerprints winnowing keeps, and so the figures and the marked regions, would change with
    every restart and differ between web processes. Use a hash that is the same everywhere."""
    import copydetect.utils

    copydetect.utils.hashed_kgrams = _stable_kgram_hashes


def _boilerplate_hashes(texts: Sequence[str]) -> Any:
    import numpy as np
    from copydetect import CodeFingerprint

    hashes: list[Any] = []
    for text in texts:
        # Every k-gram of the boilerplate (window 1), as copydetect itself does for boilerplate files.
        every = CodeFingerprint("boilerplate.py", NOISE_THRESHOLD, 1, language="python", fp=io.StringIO(text))
        hashes.extend(every.hashes)
    return np.unique(np.array(hashes))


def segments(code: str, slices: Any) -> list[Segment]:
    """``code`` cut at copydetect's slices (a 2xN array of start and end offsets into the raw code)."""
    spans = sorted(
        (max(0, int(start)), min(len(code), int(end)))
        for start, end in zip(slices[0], slices[1], strict=True)
        if int(end) > int(start)
    )
    out: list[Segment] = []
    at = 0
    for start, end in spans:
        start = max(start, at)  # overlapping runs are marked once
        if end <= start:
            continue
        if start > at:
            out.append(Segment(code[at:start], shared=False))
        out.append(Segment(code[start:end], shared=True))
        at = end
    if at < len(code):
        out.append(Segment(code[at:], shared=False))
    return out


def similarity_report(
    session: Session, *, exercise: Exercise, user_ids: Iterable[int] | None = None, marked: int | None = 20
) -> SimilarityReport:
    candidates = best_submissions(session, exercise_slug=exercise.slug, user_ids=user_ids)
    return compare(candidates, boilerplate=boilerplate_of(exercise), exercise=exercise.slug, marked=marked)
