"""Every page and state in a real Chromium, at desktop and phone size: axe-core finds no serious or
critical WCAG 2.2 AA violation, no page scrolls sideways at 390 px, and the quiz, the editor, the
submission and its result rows work by keyboard alone.

Screenshots of every state at both sizes go to artifacts/screenshots/ (``a11y-<size>-<state>.png``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import playwright.sync_api as playwright_sync
import pytest
from axe import serious_violations
from factories import EXERCISES, PASSWORD, create_learner, random_username
from sqlmodel import Session, select
from test_browser import TIMEOUT_MS, base_url, chromium, settings, shoot  # noqa: F401  (the fixtures, reused)

from grader import find_exercise
from tracedojo.db import make_engine
from tracedojo.models import Role, User
from tracedojo.settings import Settings

pytestmark = [pytest.mark.browser, pytest.mark.slow]

expect = playwright_sync.expect
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SIZES = {"desktop": DESKTOP, "phone": PHONE}


class Audit:
    """Checks each state of a page as the test reaches it and fails once, listing everything."""

    def __init__(self, page: Any, size: str) -> None:
        self.page = page
        self.size = size
        self.problems: list[str] = []
        self.checked: list[str] = []

    def check(self, state: str) -> None:
        where = f"{self.size} {state} ({self.page.url})"
        self.problems += serious_violations(self.page, where)
        if self.size == "phone":
            width = self.page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                # The outermost elements that stick out, to say what to fix.
                wide = self.page.evaluate(
                    """limit => [...document.querySelectorAll('body *')]
                        .filter(e => e.getBoundingClientRect().right > limit + 1
                            && e.parentElement.getBoundingClientRect().right <= limit + 1)
                        .slice(0, 5).map(e => e.tagName.toLowerCase() + '.' + [...e.classList].join('.'))""",
                    PHONE["width"],
                )
                self.problems.append(f"{where}: {width} px wide at a 390 px viewport (widest: {wide})")
        shoot(self.page, f"a11y-{self.size}-{state}")
        self.checked.append(state)

    def verify(self) -> None:
        assert not self.problems, "\n".join(self.problems)


@pytest.fixture(params=list(SIZES))
def sized_page(request: pytest.FixtureRequest, chromium: Any) -> Iterator[tuple[Any, str]]:
    context = chromium.new_context(viewport=SIZES[request.param])
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    yield page, request.param
    context.close()


def _sign_in(page: Any, base_url: str, username: str) -> None:
    page.goto(base_url + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Log in")).to_have_count(0)


def _submit_in_page(page: Any, code: str) -> None:
    page.evaluate("code => window.tracedojoEditor.setValue(code)", code)
    page.get_by_role("button", name="Submit for grading").click()
    expect(page.locator("#verdict")).to_contain_text(re.compile(r"Passed|Failed|Error"))


def test_every_page_and_state_passes_axe_and_fits_a_phone(
    sized_page: tuple[Any, str], base_url: str, settings: Settings
) -> None:
    page, size = sized_page
    audit = Audit(page, size)
    exercise = find_exercise("echo-once", EXERCISES)
    wrong = next(v for v in exercise.variants if v.fails_at > 2)

    page.goto(base_url + "/")
    audit.check("home")
    page.goto(base_url + "/login")
    audit.check("login")
    page.fill("#username", "nobody-" + random_username())
    page.fill("#password", "not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".alert").first).to_be_visible()
    audit.check("login-error")
    page.goto(base_url + "/register")
    audit.check("register")
    username = random_username()
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.fill("#password_again", PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Your curriculum")).to_be_visible()
    audit.check("curriculum")

    page.goto(base_url + f"/exercises/{exercise.slug}")
    expect(page.get_by_role("heading", name="Execution table")).to_be_visible()
    audit.check("lesson")
    stepper_next = page.locator("[data-go=next]")
    if stepper_next.count():
        stepper_next.first.click()
        stepper_next.first.click()
        audit.check("lesson-stepper-step-3")
        page.locator("[data-go=last]").first.click()
        audit.check("lesson-stepper-last")
    first = exercise.quiz[0]
    question = page.locator(f'form[data-question="{first.id}"]')
    question.locator(f'input[value="{next(c for c in first.choices if c != first.answer)}"]').check()
    question.get_by_role("button", name="Check answer").click()
    expect(question.locator(".feedback")).to_contain_text("Not quite")
    question.scroll_into_view_if_needed()
    audit.check("quiz-wrong")
    question.locator(f'input[value="{first.answer}"]').check()
    question.get_by_role("button", name="Check answer").click()
    expect(question.locator(".feedback")).to_contain_text("Right")
    audit.check("quiz-right")

    page.goto(base_url + f"/exercises/{exercise.slug}/code")
    expect(page.locator(".cm-editor")).to_be_visible()
    audit.check("code")
    _submit_in_page(page, exercise.source(wrong.file))
    audit.check("code-failed")
    page.locator("#run-link").click()
    page.wait_for_url("**/submissions/*")
    failed_id = page.url.rsplit("/", 1)[1]
    expect(page.locator("#overall-status")).not_to_have_text("Grading…")
    audit.check("result-failed")
    page.goto(base_url + f"/exercises/{exercise.slug}/code")
    _submit_in_page(
        page, "from fastapi import WebSocket\n\nasync def websocket_endpoint(websocket: WebSocket)\n    pass\n"
    )
    audit.check("code-syntax-error")
    _submit_in_page(page, exercise.source(exercise.reference))
    expect(page.locator("#verdict")).to_contain_text("Passed")
    audit.check("code-passed")
    page.locator("#run-link").click()
    page.wait_for_url("**/submissions/*")
    expect(page.locator("#overall-status")).to_have_text("Passed")
    audit.check("result-passed")
    details = page.locator("details.every-step")
    if details.count():
        details.locator("summary").click()
        audit.check("result-every-step")

    page.goto(base_url + "/exercises/no-such-lesson")
    audit.check("error-404")
    page.goto(base_url + "/logout")
    audit.check("logout")
    page.locator("main").get_by_role("button", name="Log out").click()

    engine = make_engine(settings.database_url)
    with Session(engine, expire_on_commit=False) as session:
        teacher = create_learner(session, role=Role.INSTRUCTOR)
        learner_id = session.exec(select(User.id).where(User.username == username.lower())).one()
    engine.dispose()
    _sign_in(page, base_url, teacher.username)
    page.goto(base_url + "/instructor")
    expect(page.get_by_role("heading", name="Gradebook")).to_be_visible()
    audit.check("instructor-gradebook")
    page.goto(base_url + f"/instructor/exercises/{exercise.slug}")
    audit.check("instructor-exercise")
    page.goto(base_url + f"/instructor/learners/{learner_id}")
    audit.check("instructor-learner")
    page.goto(base_url + f"/instructor/submissions/{failed_id}")
    audit.check("instructor-submission")

    assert len(audit.checked) >= 20
    audit.verify()


def _tab_until(page: Any, test: str, *, most: int = 80, shift: bool = False) -> None:
    """Press Tab (or Shift+Tab) until ``test`` (JS, given the focused element) holds."""
    for _ in range(most):
        page.keyboard.press("Shift+Tab" if shift else "Tab")
        if page.evaluate(f"(el => {test})(document.activeElement)"):
            return
    focused = page.evaluate("document.activeElement.outerHTML.slice(0, 200)")
    raise AssertionError(f"Tab never reached {test!r}; focus is on {focused}")


def test_quiz_editor_submission_and_rows_by_keyboard_alone(chromium: Any, base_url: str) -> None:
    context = chromium.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    exercise = find_exercise("echo-once", EXERCISES)
    crash = next(v for v in exercise.variants if v.file.endswith("type_error.py"))
    username = random_username()
    page.goto(base_url + "/register")
    _tab_until(page, "el.id === 'username'")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your curriculum")).to_be_visible()

    # The quiz: Tab to a choice, Space picks it, Tab to its button, Enter checks it.
    first = exercise.quiz[0]
    page.goto(base_url + f"/exercises/{exercise.slug}")
    _tab_until(page, f"el.name === 'choice' && el.closest('form').dataset.question === {first.id!r}")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Check answer"
    page.keyboard.press("Enter")
    feedback = page.locator(f'form[data-question="{first.id}"] .feedback')
    expect(feedback).to_contain_text(re.compile(r"Right|Not quite"))

    # The editor: reached by Tab, Tab indents inside it, Escape then Tab leaves it for the button.
    page.goto(base_url + f"/exercises/{exercise.slug}/code")
    _tab_until(page, "el.classList.contains('cm-content')")
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(exercise.source(crash.file).rstrip("\n") + "\n")
    page.keyboard.press("Tab")
    assert page.evaluate("window.tracedojoEditor.getValue()").endswith("\n    "), "Tab did not indent in the editor"
    page.keyboard.press("Backspace")
    page.keyboard.press("Tab")  # without Escape, Tab stays in the editor (it indents)
    assert page.evaluate("document.activeElement.classList.contains('cm-content')")
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    expect(page.locator("#submit-button")).to_be_focused()

    # Enter submits; focus lands on the first failing row, whose "show the line" button is next.
    page.keyboard.press("Enter")
    failed = page.locator(f'.run-step[data-n="{crash.fails_at}"]')
    expect(failed).to_be_focused()
    expect(page.locator("#verdict")).to_contain_text(f"at step {crash.fails_at}")
    page.keyboard.press("Tab")
    show = failed.locator(".show-line")
    expect(show).to_be_focused()
    line = int(show.get_attribute("data-line") or 0)
    page.keyboard.press("Enter")
    marked = page.locator(".cm-editor .cm-named-line")
    expect(marked).to_have_count(1)
    expected_text = exercise.source(crash.file).splitlines()[line - 1].strip()
    expect(marked).to_contain_text(expected_text)
    assert page.evaluate("document.activeElement.classList.contains('cm-content')")
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    expect(page.locator("#submit-button")).to_be_focused()
    shoot(page, "a11y-keyboard-code-page")

    # The full result by keyboard: the link to it, then the message's link to the failing row.
    _tab_until(page, "el.id === 'run-link'")
    page.keyboard.press("Enter")
    page.wait_for_url("**/submissions/*")
    _tab_until(page, "el.closest('#overall-message') !== null && el.tagName === 'A'")
    page.keyboard.press("Enter")
    assert page.url.endswith(f"#step-{crash.fails_at}")
    page.keyboard.press("Tab")  # sequential focus continues from the row
    assert page.evaluate(
        f"document.activeElement.compareDocumentPosition(document.getElementById('step-{crash.fails_at}'))"
        " & Node.DOCUMENT_POSITION_PRECEDING"
    )
    shoot(page, "a11y-keyboard-result")
    context.close()
