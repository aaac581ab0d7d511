"""The lesson's "Ways to learn" list and the pages of the graded modes, for every lesson."""

from __future__ import annotations

import html

import pytest
from factories import create_learner
from fastapi.testclient import TestClient
from sqlmodel import Session
from test_pages import sign_in

from grader import Exercise
from grader.puzzles import blanks, sample_blocks
from tracedojo.models import Role, User
from tracedojo.platform_state import Platform


def test_the_lesson_lists_its_modes_in_order_with_progress_in_words(
    anonymous: TestClient, learner: User, session: Session
) -> None:
    sign_in(anonymous, learner)
    whole = anonymous.get("/exercises/echo-once").text
    assert 'id="modes"' in whole and "Ways to learn this lesson" in whole
    page = whole[whole.index('id="modes"') : whole.index("</nav>", whole.index('id="modes"'))]
    titles = [
        "Read the trace",
        "Step through",
        "Predict",
        "Quiz",
        "Parsons puzzle",
        "Fill in the blanks",
        "Fix the bug",
        "Write it",
        "Review",
    ]
    positions = [page.index(title) for title in titles]
    assert positions == sorted(positions)
    assert 'href="/exercises/echo-once/parsons"' in page and 'href="/exercises/echo-once/fix"' in page
    # Opening the lesson counts as reading it; the rest is said in words, not only by a colour.
    assert "Opened on" in page and "Not tried yet" in page and "0 of 3 questions solved" in page
    assert page.count(">Not started<") >= 5


def test_mode_pages_need_a_sign_in_and_a_real_lesson(anonymous: TestClient, learner: User) -> None:
    stranger = anonymous.get("/exercises/echo-once/parsons", follow_redirects=False)
    assert stranger.status_code == 303 and stranger.headers["location"].startswith("/login?next=")
    sign_in(anonymous, learner)
    missing = anonymous.get("/exercises/no-such-lesson/blanks")
    assert missing.status_code == 404 and "There is no lesson 'no-such-lesson'" in html.unescape(missing.text)


@pytest.mark.parametrize(
    "slug",
    [
        "echo-once",
        "echo-loop",
        "json-messages",
        "binary-frames",
        "close-codes",
        "items-auth",
        "subprotocol-denial",
        "chat-broadcast",
    ],
)
def test_every_lesson_has_its_three_graded_mode_pages(
    anonymous: TestClient, learner: User, platform: Platform, slug: str
) -> None:
    exercise: Exercise | None = platform.catalog.get(slug)
    assert exercise is not None
    sign_in(anonymous, learner)
    parsons = anonymous.get(f"/exercises/{slug}/parsons")
    assert parsons.status_code == 200
    assert parsons.text.count('class="pblock"') >= len(sample_blocks(exercise))
    assert "Subgoals" in parsons.text and exercise.concept_flow.nodes[0] in parsons.text
    filled = anonymous.get(f"/exercises/{slug}/blanks")
    assert filled.status_code == 200
    assert filled.text.count('class="blank-input"') == len(blanks(exercise))
    assert filled.text.count('<label class="visually-hidden" for="blank-') == len(blanks(exercise))
    fix = anonymous.get(f"/exercises/{slug}/fix")
    assert fix.status_code == 200 and 'data-variant="' in fix.text and "Bugs fixed: 0 of" in fix.text


def test_the_lesson_statistics_show_the_graded_modes(anonymous: TestClient, session: Session) -> None:
    teacher = create_learner(session, role=Role.INSTRUCTOR)
    sign_in(anonymous, teacher)
    page = html.unescape(anonymous.get("/instructor/exercises/echo-once").text)
    assert "Ways to learn: graded modes" in page
    assert "Parsons distractors, most chosen first" in page and "websocket.accept()" in page
    assert "Fix the bug: attempts per variant" in page and "wrong/forgot_accept.py" in page
