"""The Predict and Review pages without a browser: plain forms that work without JavaScript, the
home page's due-today queue, mistakes explained, another learner's card 404."""

from __future__ import annotations

from factories import create_learner
from fastapi.testclient import TestClient
from sqlmodel import Session
from test_pages import csrf_of, sign_in

from tracedojo.models import User


def test_predict_and_review_pages_send_strangers_to_sign_in(anonymous: TestClient) -> None:
    for path in ("/review", "/exercises/echo-once/predict"):
        response = anonymous.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")


def test_predict_by_forms_reveals_each_row_and_scores_the_run(anonymous: TestClient, learner: User) -> None:
    sign_in(anonymous, learner)
    page = anonymous.get("/exercises/echo-once/predict")
    assert page.status_code == 200 and "Start predicting" in page.text and "No finished run yet" in page.text
    started = anonymous.post(
        "/exercises/echo-once/predict/runs", data={"csrf_token": csrf_of(page)}, follow_redirects=True
    )
    assert "What is data after step 4?" in started.text
    action = f"/exercises/echo-once/predict/runs/{_run_id(started.text)}"
    empty = anonymous.post(action, data={"csrf_token": csrf_of(started), "step": "4", "answer": ""})
    assert empty.status_code == 400 and "Choose or type your prediction first." in empty.text
    too_long = anonymous.post(action, data={"csrf_token": csrf_of(started), "step": "4", "answer": "x" * 201})
    assert too_long.status_code == 400 and "Your prediction is longer than 200 characters" in too_long.text
    for step, answer in ((4, "'Hello'"), (5, "nope"), (6, "Message text was: Hello")):
        page = anonymous.post(
            action, data={"csrf_token": csrf_of(page), "step": str(step), "answer": answer}, follow_redirects=True
        )
        assert f"Step {step} revealed" in page.text
    assert "✗ Not quite" not in page.text and "✓ Right" in page.text
    assert "Run finished: 2 of 3 right (67%)" in page.text and "Start a new run" in page.text
    assert "Your best run: <strong>67%</strong>" in page.text
    finished = anonymous.post(action, data={"csrf_token": csrf_of(page), "step": "6", "answer": "x"})
    assert finished.status_code == 400 and "start a new run" in finished.text


def _run_id(text: str) -> str:
    marker = "/exercises/echo-once/predict/runs/"
    start = text.index(marker) + len(marker)
    return text[start : text.index('"', start)]


def test_review_page_home_queue_and_rating_form(anonymous: TestClient, session: Session) -> None:
    learner = create_learner(session)
    sign_in(anonymous, learner)
    home = anonymous.get("/")
    assert "Review · due today" in home.text and "Nothing due today" in home.text
    empty = anonymous.get("/review")
    assert "Nothing due today ✓" in empty.text
    question = anonymous.get("/exercises/echo-once")  # reading alone starts nothing; answering does
    anonymous.post(
        "/api/exercises/echo-once/quiz/accept-step",
        json={"choice": "C"},
        headers={"X-CSRF-Token": csrf_of(question)},
    )
    home = anonymous.get("/")
    assert 'href="/review">Review 4 cards</a>' in home.text
    page = anonymous.get("/review")
    assert "4</strong> cards due today" in page.text and "Show the answer" in page.text
    card_id = page.text.split('data-card="')[1].split('"')[0]
    shown = anonymous.get(f"/review?card={card_id}&answer=1")
    assert "<strong>Answer:</strong>" in shown.text and 'data-rating-key="1"' in shown.text
    assert "in 10 minutes" in shown.text  # Good on a new card: back after FSRS's second learning step
    bad = anonymous.post(f"/review/{card_id}", data={"csrf_token": csrf_of(shown), "rating": "meh"})
    assert bad.status_code == 400 and "Again, Hard, Good or Easy" in bad.text
    rated = anonymous.post(
        f"/review/{card_id}", data={"csrf_token": csrf_of(shown), "rating": "easy"}, follow_redirects=True
    )
    assert "That card comes back <strong>in " in rated.text and "3</strong> cards due today" in rated.text
    other = TestClient(anonymous.app)
    sign_in(other, create_learner(session))
    stolen = other.post(f"/review/{card_id}", data={"csrf_token": csrf_of(other.get("/review")), "rating": "easy"})
    assert stolen.status_code == 404
    peek = other.get(f"/review?card={card_id}&answer=1")
    assert peek.status_code == 200 and "Nothing due today" in peek.text  # not shown another's card


def test_a_lessons_review_mode_is_the_review_page_of_its_cards(anonymous: TestClient, session: Session) -> None:
    sign_in(anonymous, create_learner(session))
    hop = anonymous.get("/exercises/echo-once/review", follow_redirects=False)
    assert hop.status_code == 303 and hop.headers["location"] == "/review?lesson=echo-once"
    page = anonymous.get("/review?lesson=echo-once")
    assert page.status_code == 200 and 'href="/review">review every lesson</a>' in page.text
    assert anonymous.get("/exercises/no-such/review").status_code == 404
    assert anonymous.get("/review?lesson=no-such").status_code == 404
