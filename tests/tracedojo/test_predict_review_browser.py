"""Predict and Review in a real Chromium at phone width, by keyboard alone: a Predict run with one
wrong and two right rows, then the home page's due-today queue and two cards rated with the keys.
Every state passes axe (no serious or critical WCAG 2.2 AA violation) and never scrolls sideways."""

from __future__ import annotations

from typing import Any

import playwright.sync_api as playwright_sync
import pytest
from axe import FAILING_IMPACTS, RUN_ONLY, run_axe
from factories import PASSWORD, create_learner
from sqlmodel import Session
from test_accessibility_browser import PHONE, Audit, _tab_until
from test_browser import TIMEOUT_MS, base_url, chromium, settings, shoot  # noqa: F401  (the fixtures, reused)

from tracedojo.db import make_engine
from tracedojo.models import Role, User
from tracedojo.settings import Settings

pytestmark = [pytest.mark.browser, pytest.mark.slow]

expect = playwright_sync.expect


def _learner(settings: Settings, role: Role = Role.LEARNER) -> User:
    engine = make_engine(settings.database_url)
    with Session(engine, expire_on_commit=False) as session:
        user = create_learner(session, role=role)
    engine.dispose()
    return user


def _sign_in_by_keyboard(page: Any, base_url: str, user: User) -> None:
    page.goto(base_url + "/login")
    _tab_until(page, "el.id === 'username'")
    page.keyboard.type(user.username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Log out")).to_have_count(0)  # a form button, not a link
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def _choose(page: Any, value: str) -> None:
    """Arrow keys move the checked radio; stop at ``value`` (focus starts on the first choice)."""
    for _ in range(6):
        if page.evaluate("document.activeElement.value") == value:
            page.keyboard.press("Space")
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"no choice {value!r}")


def test_predict_and_review_by_keyboard_at_390_px(chromium: Any, base_url: str, settings: Settings) -> None:
    learner = _learner(settings)
    context = chromium.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    audit = Audit(page, "phone")

    _sign_in_by_keyboard(page, base_url, learner)
    expect(page.get_by_role("heading", name="Your curriculum")).to_be_visible()

    # Predict, reached from the lesson page: start a run, answer row 4 right, row 5 wrong, row 6 (typed) right.
    page.goto(base_url + "/exercises/echo-once")
    audit.check("lesson-mode-links")
    _tab_until(page, "el.textContent.trim() === 'Predict mode'")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Predict", exact=True)).to_be_visible()
    audit.check("predict-start")
    _tab_until(page, "el.textContent.trim() === 'Start predicting'")
    page.keyboard.press("Enter")
    expect(page.get_by_role("group", name="What is data after step 4?")).to_be_visible()
    audit.check("predict-question")
    _choose(page, "'Hello'")
    page.keyboard.press("Enter")
    expect(page.locator("#revealed")).to_contain_text("Step 4 revealed: ✓ Right")
    audit.check("predict-revealed-right")
    _choose(page, "None")
    page.keyboard.press("Enter")
    expect(page.locator("#revealed")).to_contain_text("Step 5 revealed: ✗ Not quite")
    expect(page.locator("#revealed")).to_contain_text("'Message text was: Hello'")  # what the trace says
    expect(page.get_by_label("Your prediction")).to_be_focused()
    page.keyboard.type("Message text was: Hello")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Run finished: 2 of 3 right (67%)")).to_be_visible()
    expect(page.locator("[data-best]")).to_contain_text("67%")
    audit.check("predict-finished")

    # Review: predicting started the lesson, so its key moments are due today.
    page.goto(base_url + "/")
    expect(page.locator("[data-review-due]")).to_have_text("3")
    audit.check("home-review-due")
    _tab_until(page, "el.textContent.trim() === 'Review 3 cards'")
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Show the answer")).to_be_visible()
    audit.check("review-question")
    page.keyboard.press("Space")
    expect(page.locator("[data-answer]")).to_be_focused()
    audit.check("review-answer")
    page.keyboard.press("3")  # Good: a new card comes back after FSRS's second learning step, still today
    expect(page.get_by_role("status")).to_contain_text("That card comes back in 10 minutes")
    expect(page.locator("[data-due-count]")).to_contain_text("3 cards due today")
    page.keyboard.press("s")
    expect(page.locator("[data-answer]")).to_be_focused()
    page.keyboard.press("4")  # Easy: not again today
    expect(page.get_by_role("status")).to_contain_text("That card comes back in ")
    expect(page.locator("[data-due-count]")).to_contain_text("2 cards due today")
    audit.check("review-rated")
    shoot(page, "modes-review-phone")
    context.close()
    assert not problems, f"the browser reported errors: {problems}"
    audit.verify()


def test_the_lesson_statistics_show_predict_and_review_accessibly(
    chromium: Any, base_url: str, settings: Settings
) -> None:
    context = chromium.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    _sign_in_by_keyboard(page, base_url, _learner(settings, Role.INSTRUCTOR))
    page.goto(base_url + "/instructor/exercises/echo-once")
    section = page.locator("#modes-predict-review")
    expect(section).to_contain_text("Predict runs")
    run_axe(page)  # loads axe; then only this section is judged (the rest of the page is not this change's)
    found = page.evaluate(
        "tags => axe.run('#modes-predict-review', {runOnly: {type: 'tag', values: tags}}).then(r => r.violations)",
        RUN_ONLY,
    )
    serious = [v["id"] for v in found if v["impact"] in FAILING_IMPACTS]
    assert not serious, serious
    expect(section).to_be_visible()
    right = page.evaluate("document.querySelector('#modes-predict-review').getBoundingClientRect().right")
    assert right <= PHONE["width"], f"the section is {right} px wide at a 390 px viewport"
    context.close()
