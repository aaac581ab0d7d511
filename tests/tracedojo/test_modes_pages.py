"""The lesson's "Ways to learn" list and the pages of the graded modes, for every lesson."""

from __future__ import annotations

import html
import re

import pytest
from factories import create_learner
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session
from test_pages import csrf_of, sign_in

from grader import Exercise
from grader.puzzles import blanks, sample_blocks
from tracedojo.mode_puzzles import PARSONS, _token, seed_of
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


def _form_post(browser: TestClient, url: str, data: dict[str, str]) -> Response:
    return browser.post(url, data={"csrf_token": csrf_of(browser.get(url)), **data}, follow_redirects=False)


def test_blanks_and_fix_work_as_plain_forms_and_name_what_is_wrong(
    anonymous: TestClient, learner: User, echo_once: Exercise
) -> None:
    sign_in(anonymous, learner)
    empty = _form_post(anonymous, "/exercises/echo-once/blanks", {"blank-1": "await websocket.accept()"})
    assert empty.status_code == 422
    text = html.unescape(empty.text)
    assert "Fills: blank-2, blank-3 are empty; fill in every blank." in text
    assert 'value="await websocket.accept()"' in text  # what was typed stays
    fills = {
        "blank-1": "await websocket.accept()",
        "blank-2": "await websocket.receive_text()",
        "blank-3": 'await websocket.send_text("Message text was: " + data)',
    }
    graded = _form_post(anonymous, "/exercises/echo-once/blanks", fills)
    assert graded.status_code == 303 and graded.headers["location"].startswith("/submissions/")
    assert anonymous.get(graded.headers["location"]).status_code == 200

    fix_page = anonymous.get("/exercises/echo-once/fix").text
    variant = re.search(r'name="variant" value="([0-9a-f]+)"', fix_page)
    assert variant is not None
    blank = _form_post(anonymous, "/exercises/echo-once/fix", {"variant": variant[1], "code": "  "})
    assert blank.status_code == 422 and "Code: is empty" in html.unescape(blank.text)
    wrong = _form_post(anonymous, "/exercises/echo-once/fix", {"variant": "0123456789", "code": "x = 1"})
    assert wrong.status_code == 422 and "is not one of this lesson's bugs" in html.unescape(wrong.text)
    fixed = _form_post(
        anonymous, "/exercises/echo-once/fix", {"variant": variant[1], "code": echo_once.source(echo_once.reference)}
    )
    assert fixed.status_code == 303 and fixed.headers["location"].startswith("/submissions/")
    refused = anonymous.post("/exercises/echo-once/fix", data={"variant": variant[1], "code": "x"})
    assert refused.status_code == 403


def test_try_another_bug_is_a_form_that_moves_on(anonymous: TestClient, learner: User) -> None:
    sign_in(anonymous, learner)
    first = re.search(r'name="variant" value="([0-9a-f]+)"', anonymous.get("/exercises/echo-once/fix").text)
    assert first is not None
    moved = _form_post(anonymous, "/exercises/echo-once/fix/skip", {"variant": first[1]})
    assert moved.status_code == 303 and moved.headers["location"] == "/exercises/echo-once/fix"
    page = anonymous.get("/exercises/echo-once/fix").text
    assert f'value="{first[1]}"' not in page and "skipped 1 time so far" in page
    bad = _form_post(anonymous, "/exercises/echo-once/fix/skip", {"variant": "nope"})
    assert bad.status_code == 400 and "is not one of this lesson's bugs" in html.unescape(bad.text)


def test_parsons_works_as_a_plain_form_with_place_numbers(
    anonymous: TestClient, learner: User, echo_once: Exercise
) -> None:
    sign_in(anonymous, learner)
    assert learner.id is not None
    seed = seed_of(learner.id, echo_once.slug, PARSONS)
    page = anonymous.get("/exercises/echo-once/parsons").text
    assert 'name="place-' in page and 'name="indent-' in page and 'action="/exercises/echo-once/parsons"' in page
    nothing = _form_post(anonymous, "/exercises/echo-once/parsons", {})
    assert nothing.status_code == 400 and "give a place number" in html.unescape(nothing.text)
    bad = _form_post(anonymous, "/exercises/echo-once/parsons", {"place-x": "one"})
    assert bad.status_code == 400 and "are numbers (got 'one')" in html.unescape(bad.text)
    answer: dict[str, str] = {}
    for place, block in enumerate(sample_blocks(echo_once), start=1):
        answer[f"place-{_token(seed, block.key)}"] = str(place)
        answer[f"indent-{_token(seed, block.key)}"] = str(block.level)
    graded = _form_post(anonymous, "/exercises/echo-once/parsons", answer)
    assert graded.status_code == 303 and graded.headers["location"].startswith("/submissions/")


def test_the_curriculum_counts_every_way_to_learn_in_words(anonymous: TestClient, session: Session) -> None:
    learner = create_learner(session)
    sign_in(anonymous, learner)
    fresh = html.unescape(anonymous.get("/").text)
    card = fresh[fresh.index('href="/exercises/echo-once"') :]
    assert "Ways to learn</dt><dd>0 of 9 done" in card and "Not started" in card
    anonymous.get("/exercises/echo-once")  # reading the lesson
    fills = {"blank-1": "await websocket.accept()", "blank-2": "await websocket.receive_text()", "blank-3": "pass"}
    assert _form_post(anonymous, "/exercises/echo-once/blanks", fills).status_code == 303
    page = html.unescape(anonymous.get("/").text)
    card = page[page.index('href="/exercises/echo-once"') : page.index('href="/exercises/echo-loop"')]
    assert "Ways to learn</dt><dd>1 of 9 done" in card
    assert "Read the trace</a>: <strong>Done</strong>" in card
    assert "Fill in the blanks</a>: <strong>In progress</strong> · 1 try, not solved yet" in card
    assert "Parsons puzzle</a>: <strong>Not started</strong> · Not tried yet" in card
    # The written code keeps its own count: a mode's graded answer is not a code attempt.
    assert "<small>0 attempts</small>" in card and ">In progress<" in card
    listed = {e["slug"]: e["progress"] for e in anonymous.get("/api/exercises").json()}
    modes = {m["key"]: m for m in listed["echo-once"]["modes"]}
    assert listed["echo-once"]["attempts"] == 0 and modes["blanks"]["state"] == "started"
