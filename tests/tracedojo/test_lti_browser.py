"""LTI in a real Chromium: an instructor comes from the LMS, picks a lesson with the keyboard, and the signed
link goes back to the LMS (with and without the page's script); axe checks every LTI page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import playwright.sync_api as playwright_sync
import pytest
from axe import assert_accessible
from factories import PASSWORD, create_learner
from lti_platform import INSTRUCTOR, LmsUser, Message
from lti_setup import LtiSetup, lti_tool
from sqlmodel import Session
from test_browser import TIMEOUT_MS, chromium  # noqa: F401 - fixture shared

from tracedojo.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def lti(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LtiSetup]:
    with lti_tool(tmp_path_factory.mktemp("lti-browser")) as setup:
        yield setup


def _page(chromium: Any, width: int) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    yield page
    context.close()
    assert not problems, problems


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    yield from _page(chromium, 1280)


@pytest.fixture
def phone(chromium: Any) -> Iterator[Any]:
    yield from _page(chromium, 390)


def launch_from_lms(page: Any, lti: LtiSetup, message: Message) -> None:
    """What the LMS makes the browser do: open the tool's login URL; the rest are redirects and form posts."""
    hint = lti.lms.prepare(message)
    query = {
        "iss": lti.lms.issuer,
        "login_hint": message.user.sub,
        "lti_message_hint": hint,
        "client_id": lti.lms.client_id,
    }
    page.goto(f"{lti.tool_url}/lti/login?{urlencode(query)}")


def no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"


def test_an_instructor_picks_a_lesson_by_keyboard_and_the_link_reaches_the_lms(page: Any, lti: LtiSetup) -> None:
    expect = playwright_sync.expect
    teacher = LmsUser(sub="browser-teacher", name="Grace Hopper", email="grace@school.example", roles=[INSTRUCTOR])
    launch_from_lms(page, lti, Message(user=teacher, message_type="LtiDeepLinkingRequest"))
    expect(page.get_by_role("heading", name="Pick a lesson for the LMS")).to_be_visible()
    assert_accessible(page, "lesson picker")

    page.get_by_role("radio").first.focus()
    page.keyboard.press("ArrowDown")  # the second lesson
    picked = page.evaluate("document.querySelector('input[name=lesson]:checked').value")
    page.keyboard.press("Tab")
    expect(page.locator("#mode")).to_be_focused()  # the mode the grade comes from: Write it, unless changed
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{lti.lms.url}/deep-link-return")  # the page's script posted the signed link
    expect(page.get_by_text("Link added to the course.")).to_be_visible()
    assert lti.lms.deep_link_returns[-1]["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"][0]["custom"] == {
        "lesson": picked
    }


def test_without_the_script_the_return_page_has_a_button(page: Any, lti: LtiSetup) -> None:
    page.route("**/static/lti-return.js", lambda route: route.abort())
    teacher = LmsUser(sub="browser-teacher-2", name="Alan Kay", email="", roles=[INSTRUCTOR])
    launch_from_lms(page, lti, Message(user=teacher, message_type="LtiDeepLinkingRequest"))
    page.locator("#lesson-echo-once").check()
    page.get_by_role("button", name="Add this lesson to the LMS").click()
    button = page.get_by_role("button", name="Send the link to the LMS")
    playwright_sync.expect(button).to_be_visible()
    assert_accessible(page, "deep-link return page")
    returned = len(lti.lms.deep_link_returns)
    button.click()
    page.wait_for_url(f"{lti.lms.url}/deep-link-return")
    assert len(lti.lms.deep_link_returns) == returned + 1


def test_the_lms_pages_are_accessible_on_a_phone(phone: Any, lti: LtiSetup) -> None:
    teacher = LmsUser(sub="browser-teacher-3", name="Ada", email="", roles=[INSTRUCTOR])
    launch_from_lms(phone, lti, Message(user=teacher, custom={"lesson": "echo-once"}))
    phone.wait_for_url(f"{lti.tool_url}/courses/*/assignments/*")
    course_path = phone.url.split("/assignments/")[0].removeprefix(lti.tool_url)
    phone.goto(f"{lti.tool_url}/lti{course_path}")
    playwright_sync.expect(phone.get_by_role("button", name="Fetch the roster from the LMS")).to_be_visible()
    assert_accessible(phone, "course LMS page")
    no_sideways_scroll(phone)

    with Session(lti.engine) as session:
        admin = create_learner(session, role=Role.INSTRUCTOR)
    phone.context.clear_cookies()  # the LMS user leaves; a platform instructor signs in
    phone.goto(f"{lti.tool_url}/login")
    phone.fill("#username", admin.username)
    phone.fill("#password", PASSWORD)
    phone.get_by_role("button", name="Log in").click()
    phone.wait_for_url(f"{lti.tool_url}/")
    phone.goto(f"{lti.tool_url}/lti/platforms")
    phone.get_by_role("button", name="Register").click()  # empty: the browser's own checks speak first
    phone.fill("#issuer", "https://lms.example")
    phone.fill("#client_id", "abc")
    phone.fill("#deployment_ids", "1")
    for field in ("auth_login_url", "auth_token_url", "key_set_url"):
        phone.fill(f"#{field}", "https://lms.example/x")
    phone.fill("#key_set_url", "http://")
    phone.evaluate("document.getElementById('register-platform').noValidate = true")
    phone.get_by_role("button", name="Register").click()
    playwright_sync.expect(phone.locator("#platform-error")).to_contain_text("key set URL")
    assert_accessible(phone, "platforms page with an error")
    no_sideways_scroll(phone)
