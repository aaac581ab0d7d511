"""Review, a lesson's ninth mode: spaced repetition of key moments and quiz items, per learner.

The schedule is FSRS (the maintained ``fsrs`` package): each card keeps FSRS's memory state
(stability, difficulty, learning step) and its due time; a rating (Again, Hard, Good, Easy) moves it
on, and every rating is kept as a ``ReviewLog``. Cards are made on demand from ``review_deck``'s
items, so a lesson the learner starts, or a quiz item they solve, joins the deck at their next visit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, time, timedelta
from enum import StrEnum

import fsrs
from pydantic import BaseModel, ConfigDict
from sqlalchemy import UniqueConstraint
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select

from grader import Exercise
from tracedojo.models import utcnow
from tracedojo.review_deck import ReviewItem, learner_items, lesson_items

# Fuzzing spreads due dates at random; off, so a learner's schedule (and the tests) is reproducible.
SCHEDULER = fsrs.Scheduler(enable_fuzzing=False)
QUEUE_SHOWN = 50  # cards listed at once by the due queue


class ReviewCard(SQLModel, table=True):
    """One learner's card for one item of one lesson, with its FSRS state."""

    __tablename__ = "review_card"
    __table_args__ = (UniqueConstraint("user_id", "exercise_slug", "kind", "item_key", name="uq_review_card_item"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    exercise_slug: str = Field(index=True, max_length=64)
    kind: str = Field(max_length=16)  # "moment" or "quiz"
    item_key: str = Field(max_length=64)
    state: int = int(fsrs.State.Learning)
    step: int | None = 0
    stability: float | None = None
    difficulty: float | None = None
    due: datetime = Field(default_factory=utcnow, index=True)
    last_review: datetime | None = None
    reps: int = 0
    lapses: int = 0  # times rated Again after the card had left learning
    created_at: datetime = Field(default_factory=utcnow)


class ReviewLog(SQLModel, table=True):
    """One rating of one card: what the learner said and when the card is due next."""

    __tablename__ = "review_log"

    id: int | None = Field(default=None, primary_key=True)
    card_id: int = Field(foreign_key="review_card.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    exercise_slug: str = Field(index=True, max_length=64)
    rating: int  # 1 Again, 2 Hard, 3 Good, 4 Easy
    reviewed_at: datetime = Field(default_factory=utcnow)
    next_due: datetime


class RatingName(StrEnum):
    AGAIN = "again"
    HARD = "hard"
    GOOD = "good"
    EASY = "easy"

    @property
    def fsrs(self) -> fsrs.Rating:
        return fsrs.Rating[self.name.title()]


class RatingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: RatingName


class CardPublic(BaseModel):
    id: int
    item: ReviewItem
    due: datetime
    state: str  # learning, review, relearning
    reps: int


class DueQueue(BaseModel):
    due_today: int  # cards due before the end of the day (UTC), this queue's length before the cut
    cards: list[CardPublic]  # the earliest due first, at most QUEUE_SHOWN


class RatingResult(BaseModel):
    card_id: int
    rating: RatingName
    due: datetime
    interval_seconds: int  # from the rating to the card's next due time
    state: str
    due_today: int


class ReviewProgress(BaseModel):
    """A learner's progress in Review for one lesson, for the lesson's mode hub (``state`` in its
    words: not_started, started, done = every card reviewed and none due today)."""

    cards: int = 0
    reviewed: int = 0  # cards rated at least once
    due_today: int = 0
    reviews: int = 0

    @property
    def state(self) -> str:
        if not self.reviews:
            return "not_started"
        return "done" if self.reviewed == self.cards and not self.due_today else "started"

    @property
    def summary(self) -> str:
        if not self.cards:
            return "No cards yet: they come with the lesson's first answer"
        return f"{self.reviewed} of {self.cards} cards reviewed, {self.due_today} due today"

    @property
    def score(self) -> float | None:
        return self.reviewed / self.cards if self.cards else None


def end_of_day(now: datetime) -> datetime:
    return datetime.combine(now.date() + timedelta(days=1), time.min, tzinfo=now.tzinfo)


def _state_name(state: int) -> str:
    return fsrs.State(state).name.lower()


def schedule(card: ReviewCard, rating: fsrs.Rating, now: datetime) -> fsrs.Card:
    """FSRS's next state of ``card`` after ``rating`` at ``now``: the one place the schedule is decided."""
    current = fsrs.Card(
        card_id=card.id,
        state=fsrs.State(card.state),
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=card.due,
        last_review=card.last_review,
    )
    updated, _ = SCHEDULER.review_card(current, rating, review_datetime=now)
    return updated


def sync_cards(session: Session, *, user_id: int, exercises: Sequence[Exercise]) -> None:
    """Make the cards the learner's deck is missing (new items are due at once)."""
    have = {
        (slug, kind, key)
        for slug, kind, key in session.exec(
            select(ReviewCard.exercise_slug, ReviewCard.kind, ReviewCard.item_key).where(ReviewCard.user_id == user_id)
        ).all()
    }
    new = [
        ReviewCard(user_id=user_id, exercise_slug=item.slug, kind=item.kind, item_key=item.key)
        for item in learner_items(session, user_id=user_id, exercises=exercises)
        if (item.slug, item.kind, item.key) not in have
    ]
    if new:
        try:
            session.add_all(new)
            session.commit()
        except IntegrityError:  # another request of the same learner made them a moment ago
            session.rollback()


def _items(exercises: Sequence[Exercise]) -> dict[tuple[str, str, str], ReviewItem]:
    return {(i.slug, i.kind, i.key): i for e in exercises for i in lesson_items(e)}


def due_queue(
    session: Session,
    *,
    user_id: int,
    exercises: Sequence[Exercise],
    now: datetime | None = None,
    lesson: str | None = None,
) -> DueQueue:
    """The learner's cards due today (of one lesson, or of all), earliest first; cards of items a
    lesson no longer has are left out."""
    now = now or utcnow()
    sync_cards(session, user_id=user_id, exercises=exercises)
    items = _items([e for e in exercises if lesson is None or e.slug == lesson])
    query = select(ReviewCard).where(ReviewCard.user_id == user_id, ReviewCard.due < end_of_day(now))
    if lesson is not None:
        query = query.where(ReviewCard.exercise_slug == lesson)
    cards = []
    for card in session.exec(query.order_by(col(ReviewCard.due), col(ReviewCard.id))).all():
        item = items.get((card.exercise_slug, card.kind, card.item_key))
        if item is not None:
            cards.append(public_card(card, item))
    return DueQueue(due_today=len(cards), cards=cards[:QUEUE_SHOWN])


def due_today_count(
    session: Session, *, user_id: int, exercises: Sequence[Exercise], now: datetime | None = None
) -> int:
    return due_queue(session, user_id=user_id, exercises=exercises, now=now).due_today


def public_card(card: ReviewCard, item: ReviewItem) -> CardPublic:
    assert card.id is not None
    return CardPublic(id=card.id, item=item, due=card.due, state=_state_name(card.state), reps=card.reps)


def own_card(session: Session, *, user_id: int, card_id: int) -> ReviewCard | None:
    """The learner's own card; another learner's is as absent as one that never was."""
    card = session.get(ReviewCard, card_id)
    return card if card is not None and card.user_id == user_id else None


def item_of(card: ReviewCard, exercises: Sequence[Exercise]) -> ReviewItem | None:
    return _items([e for e in exercises if e.slug == card.exercise_slug]).get(
        (card.exercise_slug, card.kind, card.item_key)
    )


def rate(
    session: Session,
    *,
    card: ReviewCard,
    rating: RatingName,
    exercises: Sequence[Exercise],
    now: datetime | None = None,
) -> RatingResult:
    now = now or utcnow()
    updated = schedule(card, rating.fsrs, now)
    if rating == RatingName.AGAIN and card.state != int(fsrs.State.Learning):
        card.lapses += 1
    card.state, card.step = int(updated.state), updated.step
    card.stability, card.difficulty = updated.stability, updated.difficulty
    card.due, card.last_review = updated.due, now
    card.reps += 1
    assert card.id is not None
    session.add(card)
    session.add(
        ReviewLog(
            card_id=card.id,
            user_id=card.user_id,
            exercise_slug=card.exercise_slug,
            rating=int(rating.fsrs),
            reviewed_at=now,
            next_due=updated.due,
        )
    )
    session.commit()
    return RatingResult(
        card_id=card.id,
        rating=rating,
        due=updated.due,
        interval_seconds=int((updated.due - now).total_seconds()),
        state=_state_name(card.state),
        due_today=due_today_count(session, user_id=card.user_id, exercises=exercises, now=now),
    )


def review_progress(
    session: Session, *, user_id: int, exercises: Sequence[Exercise], now: datetime | None = None
) -> dict[str, ReviewProgress]:
    """Per lesson: the learner's cards, how many were reviewed, due today, ratings given."""
    by_lesson: dict[str, list[ReviewCard]] = {e.slug: [] for e in exercises}
    for card in session.exec(select(ReviewCard).where(ReviewCard.user_id == user_id)).all():
        if card.exercise_slug in by_lesson:
            by_lesson[card.exercise_slug].append(card)
    return {e.slug: progress_of_cards(by_lesson[e.slug], exercise=e, now=now or utcnow()) for e in exercises}


def progress_of_cards(cards: Iterable[ReviewCard], *, exercise: Exercise, now: datetime) -> ReviewProgress:
    """Progress in one lesson from the learner's cards of it (cards of items it no longer has left out)."""
    items = {(i.kind, i.key) for i in lesson_items(exercise)}
    progress = ReviewProgress()
    for card in cards:
        if card.exercise_slug != exercise.slug or (card.kind, card.item_key) not in items:
            continue
        progress.cards += 1
        progress.reviewed += card.reps > 0
        progress.due_today += card.due < end_of_day(now)
        progress.reviews += card.reps
    return progress


def interval_words(seconds: float) -> str:
    """How long until a card is due, as a person says it: "now", "in 10 minutes", "in 3 days"."""
    if seconds < 60:
        return "now"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = round(seconds / size)
            return f"in {count} {unit}{'' if count == 1 else 's'}"
    return "now"


def next_intervals(card: ReviewCard, now: datetime | None = None) -> dict[RatingName, str]:
    """What each rating would do to the card, in words: shown on its button before the learner rates."""
    now = now or utcnow()
    return {name: interval_words((schedule(card, name.fsrs, now).due - now).total_seconds()) for name in RatingName}
