"""A course in a real Chromium: an instructor in New York sets a lesson, a learner in Tokyo joins with the code
and reads the due date in their own time; axe-core checks the pages (WCAG 2.2 AA)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import playwright.sync_api as playwright_sync
import pytest
from factories import PASSWORD, create_learner
from sqlmodel import Session
from test_browser import TIMEOUT_MS, base_url, chromium, settings, shoot  # noqa: F401 - fixtures shared

from tracedojo.db import make_engine
from tracedojo.models import Role, User
from tracedojo.settings import PROJECT_ROOT, Settings

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = PROJECT_ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def _person(settings: Settings, role: Role) -> User:
    engine = make_engine(settings.database_url)
    with Session(engine, expire_on_commit=False) as session:
        user = create_learner(session, role=role)
    engine.dispose()
    return user


def _context(chromium: Any, *, zone: str, width: int = 1280) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": width, "height": 900}, timezone_id=zone, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    yield page
    context.close()
    assert not problems, f"the browser reported errors: {problems}"


@pytest.fixture
def new_york(chromium: Any) -> Iterator[Any]:
    yield from _context(chromium, zone="America/New_York")


@pytest.fixture
def tokyo(chromium: Any) -> Iterator[Any]:
    yield from _context(chromium, zone="Asia/Tokyo", width=390)


def _log_in(page: Any, base_url: str, user: User) -> None:
    page.goto(base_url + "/login")
    page.fill("#username", user.username)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base_url + "/")


def _axe(page: Any) -> None:
    """axe-core's WCAG 2.2 AA rules on the page as it stands (its source is evaluated, which the CSP allows)."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG)
    violations = [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]} for v in result["violations"]
    ]
    assert not violations, json.dumps(violations, indent=1)


def test_instructor_sets_a_lesson_and_a_learner_joins_and_reads_the_due_date_in_their_zone(
    new_york: Any,
    tokyo: Any,
    base_url: str,
    settings: Settings,
) -> None:
    expect = playwright_sync.expect
    teacher = _person(settings, Role.INSTRUCTOR)
    learner = _person(settings, Role.LEARNER)

    page = new_york
    _log_in(page, base_url, teacher)
    page.get_by_role("link", name="Create or join a course").click()
    page.get_by_label("Title").fill("Evening WebSockets")
    page.get_by_role("button", name="Create course").click()
    expect(page.get_by_role("heading", name="Evening WebSockets")).to_be_visible()
    code = page.locator("#join-code").inner_text()
    # The browser says which zone the typed dates are in.
    expect(page.locator("#new-assignment #time_zone")).to_have_value("America/New_York")
    page.get_by_label("Lesson").select_option("echo-once")
    page.get_by_label("Due", exact=True).fill("2031-03-14T18:59")
    page.get_by_label("Late work accepted until").fill("2031-03-16T18:59")
    _axe(page)
    shoot(page, "courses-01-set-a-lesson")
    page.get_by_role("button", name="Set lesson").click()
    due = page.locator("#due time")
    expect(due).to_have_attribute("datetime", "2031-03-14T22:59:00Z")  # 18:59 EDT
    expect(due).to_have_text("Mar 14, 2031, 6:59 PM EDT")
    # The edit form shows the stored time back in the instructor's zone.
    expect(page.locator("#edit-dates #due_at")).to_have_value("2031-03-14T18:59")
    _axe(page)
    shoot(page, "courses-02-assignment")

    page = tokyo
    _log_in(page, base_url, learner)
    page.goto(base_url + "/courses")
    page.get_by_label("Join code").fill(code.lower())
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_role("heading", name="Evening WebSockets")).to_be_visible()
    due = page.locator("tr[data-assignment] td.due time")
    expect(due).to_have_text("Mar 15, 2031, 7:59 AM GMT+9")  # the same moment, in Tokyo
    expect(due).to_have_attribute("title", "2031-03-14 22:59 UTC")
    expect(page.locator("tr[data-assignment]")).to_contain_text("Open")
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 390)"
        ".map(e => `${e.tagName}.${e.className}#${e.id} ${Math.round(e.getBoundingClientRect().right)}`)"
        ".slice(0, 12)"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, f"sideways scroll at 390 px: {wide}"
    _axe(page)
    shoot(page, "courses-03-learner-course")
