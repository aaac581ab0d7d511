"""Review mode: the due queue and ratings (JSON API), and the page that shows one due card at a time."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from tracedojo.deps import CheckedForm, CurrentUser, PageUser, PlatformDep, SessionDep, Slug, exercise_or_404
from tracedojo.models import MAX_ID, User, utcnow
from tracedojo.platform_state import Platform
from tracedojo.review import (
    DueQueue,
    RatingCreate,
    RatingName,
    RatingResult,
    ReviewCard,
    due_queue,
    interval_words,
    item_of,
    next_intervals,
    own_card,
    public_card,
    rate,
)
from tracedojo.views import render

api = APIRouter(prefix="/api/review", tags=["review"])
pages = APIRouter(include_in_schema=False)

Lesson = Annotated[
    str | None, Query(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64, description="only this lesson's cards")
]
CardId = Annotated[int, Path(ge=1, le=MAX_ID, description="a review card's id")]
RATING_KEYS = {"1": RatingName.AGAIN, "2": RatingName.HARD, "3": RatingName.GOOD, "4": RatingName.EASY}


def _card_or_404(session: Session, user: User, card_id: int) -> ReviewCard:
    assert user.id is not None
    card = own_card(session, user_id=user.id, card_id=card_id)
    if card is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"you have no review card {card_id}")
    return card


def _rate(session: Session, platform: Platform, card: ReviewCard, rating: RatingName) -> RatingResult:
    exercises = platform.catalog.exercises
    if item_of(card, exercises) is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"review card {card.id} asks about an item no lesson has any more"
        )
    return rate(session, card=card, rating=rating, exercises=exercises)


def _lesson(platform: Platform, lesson: str | None) -> str | None:
    if lesson is not None:
        exercise_or_404(platform, lesson, missing=f"There is no lesson {lesson!r} to review.")
    return lesson


@api.get("/due", response_model=DueQueue)
def get_due(user: CurrentUser, session: SessionDep, platform: PlatformDep, lesson: Lesson = None) -> DueQueue:
    """Your cards due today (UTC), earliest first: key moments and solved quiz items of lessons you started."""
    assert user.id is not None
    exercises = platform.catalog.exercises
    return due_queue(session, user_id=user.id, exercises=exercises, lesson=_lesson(platform, lesson))


@api.post("/{card_id}/rating", response_model=RatingResult)
def post_rating(
    card_id: CardId, body: RatingCreate, user: CurrentUser, session: SessionDep, platform: PlatformDep
) -> RatingResult:
    """Rate how well you recalled a card (again, hard, good, easy): FSRS schedules its next review."""
    return _rate(session, platform, _card_or_404(session, user, card_id), body.rating)


# --- the page ---------------------------------------------------------------------------------------


@pages.get("/review", response_class=HTMLResponse)
def review_page(
    request: Request,
    user: PageUser,
    session: SessionDep,
    platform: PlatformDep,
    card: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    answer: bool = False,
    last: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    lesson: Lesson = None,
) -> Response:
    assert user.id is not None
    exercises = platform.catalog.exercises
    queue = due_queue(session, user_id=user.id, exercises=exercises, lesson=_lesson(platform, lesson))
    shown = queue.cards[0] if queue.cards else None
    if card is not None:  # the card whose answer was asked for, while it is the learner's
        chosen = own_card(session, user_id=user.id, card_id=card)
        item = item_of(chosen, exercises) if chosen else None
        if chosen is not None and item is not None:
            shown = public_card(chosen, item)
    rated = own_card(session, user_id=user.id, card_id=last) if last else None
    row = own_card(session, user_id=user.id, card_id=shown.id) if shown else None
    return render(
        request,
        "review.html",
        {
            "queue": queue,
            "card": shown,
            "answer": answer and shown is not None,
            "rated": rated,
            "rated_in": interval_words((rated.due - utcnow()).total_seconds()) if rated else None,
            "ratings": list(RATING_KEYS.items()),
            "intervals": next_intervals(row) if row else {},
            "lesson": platform.catalog.get(lesson) if lesson else None,
            "lesson_query": f"&lesson={lesson}" if lesson else "",
        },
        user=user,
    )


@pages.post("/review/{card_id}", response_class=HTMLResponse)
async def rate_form(
    card_id: CardId,
    request: Request,
    user: PageUser,
    form: CheckedForm,
    session: SessionDep,
    platform: PlatformDep,
    lesson: Lesson = None,
) -> Response:
    card = _card_or_404(session, user, card_id)
    try:
        body = RatingCreate.model_validate({"rating": form.get("rating", "")})
    except ValidationError:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, "Rate the card with one of the buttons: Again, Hard, Good or Easy."
        ) from None
    _rate(session, platform, card, body.rating)
    back = f"&lesson={_lesson(platform, lesson)}" if lesson else ""
    return RedirectResponse(f"/review?last={card_id}{back}", status_code=status.HTTP_303_SEE_OTHER)


@pages.get("/exercises/{slug}/review")
def lesson_review(platform: PlatformDep, slug: str = Slug) -> RedirectResponse:
    """A lesson's Review mode: the review page, this lesson's cards only."""
    exercise = exercise_or_404(
        platform, slug, missing=f"There is no lesson {slug[:64]!r}; the curriculum lists them all."
    )
    return RedirectResponse(f"/review?lesson={exercise.slug}", status_code=status.HTTP_303_SEE_OTHER)
