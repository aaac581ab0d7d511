"""Predict and Review in the instructor's numbers: per lesson (lesson statistics) and per learner and
lesson (gradebook). Learners' work only, as in ``exercise_stats``."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, func, select

from tracedojo.models import Role, User
from tracedojo.predict_mode import PredictRun, score_of
from tracedojo.review import ReviewCard, ReviewLog

AGAIN = 1


class PredictLessonStats(BaseModel):
    runs: int  # started
    finished: int
    learners: int  # who finished a run
    mean_best_score: float | None  # over those learners, each one's best run (0..1)
    mean_score: float | None  # over finished runs


class ReviewLessonStats(BaseModel):
    learners: int  # with cards of this lesson
    cards: int
    reviews: int  # ratings given
    again: int  # of them, Again
    share_again: float | None


def _learners() -> Any:
    return select(User.id).where(User.role == Role.LEARNER)


def predict_lesson_stats(session: Session, *, slug: str) -> PredictLessonStats:
    runs = session.exec(
        select(PredictRun).where(PredictRun.exercise_slug == slug, col(PredictRun.user_id).in_(_learners()))
    ).all()
    best: dict[int, float] = {}
    scores = []
    for run in runs:
        score = score_of(run)
        if score is None:
            continue
        scores.append(score)
        best[run.user_id] = max(best.get(run.user_id, 0.0), score)
    return PredictLessonStats(
        runs=len(runs),
        finished=len(scores),
        learners=len(best),
        mean_best_score=round(sum(best.values()) / len(best), 4) if best else None,
        mean_score=round(sum(scores) / len(scores), 4) if scores else None,
    )


def review_lesson_stats(session: Session, *, slug: str) -> ReviewLessonStats:
    cards = session.exec(
        select(func.count(), func.count(func.distinct(ReviewCard.user_id))).where(
            ReviewCard.exercise_slug == slug, col(ReviewCard.user_id).in_(_learners())
        )
    ).one()
    ratings = session.exec(
        select(ReviewLog.rating, func.count())
        .where(ReviewLog.exercise_slug == slug, col(ReviewLog.user_id).in_(_learners()))
        .group_by(col(ReviewLog.rating))
    ).all()
    reviews = sum(count for _, count in ratings)
    again = sum(count for rating, count in ratings if rating == AGAIN)
    return ReviewLessonStats(
        learners=cards[1],
        cards=cards[0],
        reviews=reviews,
        again=again,
        share_again=round(again / reviews, 4) if reviews else None,
    )


class PredictReviewCell(BaseModel):
    predict_best: float | None = None  # best finished Predict run, 0..1
    reviews: int = 0  # Review ratings given


def predict_review_cells(session: Session) -> dict[tuple[int, str], PredictReviewCell]:
    """Per (learner, lesson): best Predict score and Review ratings; two queries for the whole class."""
    cells: dict[tuple[int, str], PredictReviewCell] = defaultdict(PredictReviewCell)
    for run in session.exec(select(PredictRun).where(col(PredictRun.finished_at).is_not(None))).all():
        score = score_of(run)
        cell = cells[(run.user_id, run.exercise_slug)]
        if score is not None and (cell.predict_best is None or score > cell.predict_best):
            cell.predict_best = score
    for user_id, slug, count in session.exec(
        select(ReviewLog.user_id, ReviewLog.exercise_slug, func.count()).group_by(
            col(ReviewLog.user_id), col(ReviewLog.exercise_slug)
        )
    ).all():
        cells[(user_id, slug)].reviews = count
    return dict(cells)
