"""The mode select in a real Chromium: an instructor sets a lesson in a mode by keyboard, the learner's
link opens that mode, and deleting asks first; axe-core checks each page (WCAG 2.2 AA) and the course
page does not scroll sideways at 390 px."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import playwright.sync_api as playwright_sync
import pytest
from axe import assert_accessible
from factories import PASSWORD, create_learner
from sqlmodel import Session
from test_browser import TIMEOUT_MS, base_url, chromium, settings  # noqa: F401 - fixtures shared

from tracedojo.course_models import Course
from tracedojo.courses import add_member, create_course
from tracedojo.db import make_engine
from tracedojo.models import Role, User
from tracedojo.settings import Settings

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def people(settings: Settings) -> tuple[Course, User, User]:
    engine = make_engine(settings.database_url)
    with Session(engine, expire_on_commit=False) as session:
        teacher = create_learner(session, role=Role.INSTRUCTOR)
        learner = create_learner(session)
        course = create_course(session, title="Modes lab", created_by=teacher)
        add_member(session, course=course, user=learner)
    engine.dispose()
    return course, teacher, learner


def _page(chromium: Any, base_url: str, user: User, width: int = 1280) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": width, "height": 900}, timezone_id="Europe/Paris")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(base_url + "/login")
    page.fill("#username", user.username)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base_url + "/")
    yield page
    context.close()
    assert not problems, f"the browser reported errors: {problems}"


def test_the_mode_select_by_keyboard_the_learners_link_and_deleting(
    chromium: Any, base_url: str, people: tuple[Course, User, User]
) -> None:
    expect = playwright_sync.expect
    course, teacher, learner = people
    pages = _page(chromium, base_url, teacher)
    page = next(pages)
    page.goto(f"{base_url}/courses/{course.id}")
    assert_accessible(page, "the course page with the mode select")
    mode = page.locator("#mode")
    expect(mode).to_have_value("write")
    mode.focus()
    page.keyboard.press("ArrowUp")  # the mode before "Write it" in the lesson's order
    expect(mode).to_have_value("fix")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Points")).to_be_focused()
    page.fill("#due_at", "2031-07-01T09:30")
    page.get_by_label("Points").press("Enter")  # submits the form from the keyboard
    page.wait_for_url(f"{base_url}/courses/{course.id}/assignments/*")
    expect(page.locator("#mode-name")).to_have_text("Fix the bug")
    assert_accessible(page, "an assignment in the fix mode, for its instructor")

    page.locator("#delete-assignment").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/delete")
    assert_accessible(page, "the confirmation before deleting")
    expect(page.get_by_role("heading", level=1)).to_contain_text("(Fix the bug)?")
    assignment_url = page.url.removesuffix("/delete")

    learner_pages = _page(chromium, base_url, learner, width=390)
    phone = next(learner_pages)
    phone.goto(f"{base_url}/courses/{course.id}")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(phone, "the course page for a learner at 390 px")
    phone.get_by_role("link", name="Fix the bug in").click()
    phone.wait_for_url(f"{base_url}/exercises/echo-once/fix")

    page.get_by_role("button", name="Yes, delete the assignment").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#course-notice")).to_contain_text("Its learners' work is kept as practice.")
    assert_accessible(page, "the course page after deleting")
    assert page.request.get(assignment_url).status == 404
    for rest in (pages, learner_pages):
        next(rest, None)
