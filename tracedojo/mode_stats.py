"""The instructor's view of a lesson's graded modes: per-mode scores, item analysis of Parsons distractors
and blanks, and fix-the-bug attempts per wrong variant. Learners' work only, as in the lesson statistics."""

from __future__ import annotations

from collections import Counter, defaultdict

from pydantic import BaseModel
from sqlmodel import Session, col, select

from grader import Exercise
from grader.puzzles import blanks, distractor_blocks
from tracedojo.mode_attempts import ModeAttempt, settle
from tracedojo.models import Role, User
from tracedojo.modes import GRADED_MODES

WRONG_FILLS_SHOWN = 3


class ModeSummary(BaseModel):
    mode: str
    attempts: int
    learners: int
    learners_passed: int
    share_passed: float | None  # of graded attempts
    mean_best_score: float | None  # 0..1, over the learners who tried


class DistractorStats(BaseModel):
    text: str
    from_variant: str
    chosen: int  # attempts that placed it in the program
    learners: int


class WrongFill(BaseModel):
    text: str
    count: int


class BlankStats(BaseModel):
    id: str
    line: int
    answer: str
    fills: int
    differing: int  # fills that are not the sample's text (an equivalent one may still pass)
    wrong_fills: list[WrongFill]  # differing fills in attempts that did not pass, most common first


class VariantStats(BaseModel):
    file: str
    fails_at: int
    attempts: int
    learners: int
    learners_fixed: int


class ModeStats(BaseModel):
    slug: str
    modes: list[ModeSummary]
    distractors: list[DistractorStats]
    blanks: list[BlankStats]
    fix_variants: list[VariantStats]


def mode_stats(session: Session, *, exercise: Exercise) -> ModeStats:
    learners = select(User.id).where(User.role == Role.LEARNER)
    rows = list(
        session.exec(
            select(ModeAttempt)
            .where(
                ModeAttempt.exercise_slug == exercise.slug,
                col(ModeAttempt.mode).in_(GRADED_MODES),
                col(ModeAttempt.user_id).in_(learners),
            )
            .order_by(col(ModeAttempt.id))
        ).all()
    )
    settle(session, rows)
    by_mode: dict[str, list[ModeAttempt]] = defaultdict(list)
    for row in rows:
        by_mode[row.mode].append(row)
    return ModeStats(
        slug=exercise.slug,
        modes=[_summary(mode, by_mode[mode], exercise.max_score) for mode in GRADED_MODES],
        distractors=_distractors(exercise, by_mode["parsons"]),
        blanks=_blanks(exercise, by_mode["blanks"]),
        fix_variants=_variants(exercise, by_mode["fix"]),
    )


def _summary(mode: str, rows: list[ModeAttempt], max_score: float) -> ModeSummary:
    graded = [r for r in rows if r.passed is not None]
    best: dict[int, float] = {}
    for row in rows:
        if row.score is not None:
            best[row.user_id] = max(best.get(row.user_id, 0.0), row.score)
    learners = {r.user_id for r in rows}
    return ModeSummary(
        mode=mode,
        attempts=len(rows),
        learners=len(learners),
        learners_passed=len({r.user_id for r in rows if r.passed}),
        share_passed=sum(bool(r.passed) for r in graded) / len(graded) if graded else None,
        mean_best_score=sum(best.values()) / len(best) / max_score if best and max_score else None,
    )


def _distractors(exercise: Exercise, rows: list[ModeAttempt]) -> list[DistractorStats]:
    chosen: Counter[str] = Counter()
    who: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        for key in set(row.detail.get("distractors", [])):
            chosen[str(key)] += 1
            who[str(key)].add(row.user_id)
    stats = [
        DistractorStats(text=b.text, from_variant=b.from_variant, chosen=chosen[b.key], learners=len(who[b.key]))
        for b in distractor_blocks(exercise)
    ]
    return sorted(stats, key=lambda s: -s.chosen)


def _blanks(exercise: Exercise, rows: list[ModeAttempt]) -> list[BlankStats]:
    result = []
    for blank in blanks(exercise):
        fills = [(str(r.detail.get("fills", {}).get(blank.key, "")), r) for r in rows]
        fills = [(text, r) for text, r in fills if text]
        differing = [(text, r) for text, r in fills if " ".join(text.split()) != " ".join(blank.answer.split())]
        wrong = Counter(text for text, r in differing if r.passed is False)
        result.append(
            BlankStats(
                id=blank.key,
                line=blank.line,
                answer=blank.answer,
                fills=len(fills),
                differing=len(differing),
                wrong_fills=[WrongFill(text=t, count=c) for t, c in wrong.most_common(WRONG_FILLS_SHOWN)],
            )
        )
    return result


def _variants(exercise: Exercise, rows: list[ModeAttempt]) -> list[VariantStats]:
    return [
        VariantStats(
            file=variant.file,
            fails_at=variant.fails_at,
            attempts=sum(r.variant == variant.file for r in rows),
            learners=len({r.user_id for r in rows if r.variant == variant.file}),
            learners_fixed=len({r.user_id for r in rows if r.variant == variant.file and r.passed}),
        )
        for variant in exercise.variants
    ]
