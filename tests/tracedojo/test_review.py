"""Review's schedule and deck: FSRS moves due dates per rating, Again brings a card back soon, a
learner's deck holds the moments of started lessons and the quiz items they solved."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from factories import create_learner
from sqlmodel import Session, select

from grader import Exercise, load_exercises
from tracedojo.db import make_engine, migrate
from tracedojo.models import QuizAnswer, User
from tracedojo.review import (
    RatingName,
    ReviewCard,
    ReviewLog,
    due_queue,
    end_of_day,
    interval_words,
    next_intervals,
    own_card,
    rate,
    review_progress,
    schedule,
)
from tracedojo.review_deck import learner_items, lesson_items, moment_key

EXERCISES = load_exercises()
NOON = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'review.db'}")
    migrate(engine)
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


@pytest.fixture
def echo_once() -> Exercise:
    return next(e for e in EXERCISES if e.slug == "echo-once")


def _answer(db: Session, user: User, exercise: Exercise, question_id: str, correct: bool) -> None:
    assert user.id is not None
    db.add(
        QuizAnswer(
            user_id=user.id,
            exercise_slug=exercise.slug,
            exercise_version=exercise.version,
            question_id=question_id,
            choice="A",
            correct=correct,
        )
    )
    db.commit()


def _new_card() -> ReviewCard:
    return ReviewCard(id=1, user_id=1, exercise_slug="echo-once", kind="moment", item_key="m-x", due=NOON)


def test_each_rating_moves_a_new_card_further_out() -> None:
    due = {rating: schedule(_new_card(), rating.fsrs, NOON).due for rating in RatingName}
    assert NOON < due[RatingName.AGAIN] < due[RatingName.HARD] < due[RatingName.GOOD] < due[RatingName.EASY]
    assert due[RatingName.AGAIN] - NOON <= timedelta(minutes=10)  # Again: back within minutes
    assert due[RatingName.EASY] - NOON >= timedelta(days=1)  # Easy: graduates at once


def test_good_ratings_grow_the_interval_and_again_brings_the_card_back_soon() -> None:
    card = _new_card()
    now, intervals = NOON, []
    for _ in range(5):
        updated = schedule(card, RatingName.GOOD.fsrs, now)
        intervals.append(updated.due - now)
        card.state, card.step, card.stability, card.difficulty = (
            int(updated.state),
            updated.step,
            updated.stability,
            updated.difficulty,
        )
        card.due, card.last_review = updated.due, now
        now = updated.due
    assert intervals == sorted(intervals) and intervals[-1] > timedelta(days=7)
    lapse = schedule(card, RatingName.AGAIN.fsrs, now)
    assert lapse.due - now <= timedelta(minutes=10)  # forgotten: relearned the same day
    assert lapse.state.name == "Relearning"


def test_cards_come_from_started_lessons_and_only_solved_quiz_items(db: Session, echo_once: Exercise) -> None:
    learner = create_learner(db)
    assert learner.id is not None
    assert learner_items(db, user_id=learner.id, exercises=EXERCISES) == []  # nothing started, nothing to review
    _answer(db, learner, echo_once, "accept-step", correct=False)
    items = learner_items(db, user_id=learner.id, exercises=EXERCISES)
    assert {i.slug for i in items} == {"echo-once"}
    assert [i.kind for i in items] == ["moment"] * len(echo_once.key_moments)  # a wrong answer keeps the quiz's secret
    _answer(db, learner, echo_once, "accept-step", correct=True)
    quiz = [i for i in learner_items(db, user_id=learner.id, exercises=EXERCISES) if i.kind == "quiz"]
    assert [(i.key, i.answer) for i in quiz] == [("accept-step", "C: Step 2")]


def test_moment_keys_follow_the_question_not_its_place(echo_once: Exercise) -> None:
    keys = [i.key for i in lesson_items(echo_once) if i.kind == "moment"]
    assert len(set(keys)) == len(keys) == len(echo_once.key_moments)
    assert moment_key("Why  do we\nneed it?") == moment_key("Why do we need it?")


def test_rating_stores_a_log_and_moves_the_card_out_of_todays_queue(db: Session, echo_once: Exercise) -> None:
    learner = create_learner(db)
    assert learner.id is not None
    _answer(db, learner, echo_once, "accept-step", correct=True)
    queue = due_queue(db, user_id=learner.id, exercises=EXERCISES, now=NOON)
    assert queue.due_today == len(echo_once.key_moments) + 1
    first = own_card(db, user_id=learner.id, card_id=queue.cards[0].id)
    assert first is not None
    easy = rate(db, card=first, rating=RatingName.EASY, exercises=EXERCISES, now=NOON)
    assert easy.due >= end_of_day(NOON) and easy.due_today == queue.due_today - 1
    second = own_card(db, user_id=learner.id, card_id=queue.cards[1].id)
    assert second is not None
    again = rate(db, card=second, rating=RatingName.AGAIN, exercises=EXERCISES, now=NOON)
    assert 0 < again.interval_seconds <= 600 and again.due_today == queue.due_today - 1  # Again: still due today
    logs = db.exec(select(ReviewLog).where(ReviewLog.user_id == learner.id)).all()
    assert [(log.rating, log.next_due) for log in logs] == [(4, easy.due), (1, again.due)]
    progress = review_progress(db, user_id=learner.id, exercises=EXERCISES, now=NOON)["echo-once"]
    assert (progress.cards, progress.reviewed, progress.reviews) == (queue.due_today, 2, 2)
    assert progress.due_today == queue.due_today - 1
    assert (progress.state, progress.summary) == ("started", "2 of 4 cards reviewed, 3 due today")
    untouched = review_progress(db, user_id=learner.id, exercises=EXERCISES, now=NOON)["echo-loop"]
    assert (untouched.cards, untouched.state, untouched.score) == (0, "not_started", None)
    # Syncing again makes no duplicate cards.
    assert due_queue(db, user_id=learner.id, exercises=EXERCISES, now=NOON).due_today == queue.due_today - 1


def test_another_learners_card_is_not_yours(db: Session, echo_once: Exercise) -> None:
    ada, bob = create_learner(db), create_learner(db)
    assert ada.id is not None and bob.id is not None
    _answer(db, ada, echo_once, "accept-step", correct=True)
    card = due_queue(db, user_id=ada.id, exercises=EXERCISES, now=NOON).cards[0]
    assert own_card(db, user_id=bob.id, card_id=card.id) is None
    assert own_card(db, user_id=ada.id, card_id=card.id) is not None


def test_next_intervals_and_their_words() -> None:
    words = next_intervals(_new_card(), NOON)
    assert words[RatingName.AGAIN] == "in 1 minute" and words[RatingName.GOOD] == "in 10 minutes"
    assert words[RatingName.EASY].endswith("days") or words[RatingName.EASY] == "in 1 day"
    assert interval_words(5) == "now" and interval_words(3 * 3600) == "in 3 hours"
