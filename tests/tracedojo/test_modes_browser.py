"""The graded modes of echo-once in a real Chromium: the Parsons puzzle played with the keyboard only (one
wrong try, the help it earns, one right try), the blanks filled in and a bug fixed; axe-core finds no
serious violation and no page scrolls sideways at 390 px."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import playwright.sync_api as playwright_sync
import pytest
from axe import assert_accessible
from factories import PASSWORD, create_learner
from sqlmodel import Session
from test_browser import TIMEOUT_MS, base_url, chromium, settings  # noqa: F401 - fixtures shared

from grader import find_exercise
from grader.puzzles import distractor_blocks, sample_blocks
from tracedojo.db import make_engine
from tracedojo.mode_puzzles import PARSONS, _token, seed_of
from tracedojo.models import User
from tracedojo.settings import Settings

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = 390
ECHO = find_exercise("echo-once")
GRADING_MS = 60_000


@pytest.fixture
def learner(settings: Settings) -> User:
    engine = make_engine(settings.database_url)
    with Session(engine, expire_on_commit=False) as session:
        user = create_learner(session)
    engine.dispose()
    return user


@pytest.fixture
def page(chromium: Any, base_url: str, learner: User) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(base_url + "/login")
    page.fill("#username", learner.username)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base_url + "/")
    yield page
    context.close()
    assert not problems, f"the browser reported errors: {problems}"


def _fits_a_phone(page: Any, where: str) -> None:
    page.set_viewport_size({"width": PHONE, "height": 800})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE, f"{where} scrolls sideways at {PHONE} px ({width} px wide)"
    page.set_viewport_size({"width": 1280, "height": 900})


def _graded(page: Any, submit: Callable[[], None]) -> str:
    """Submit, then wait for that submission's verdict (not the one before it)."""
    before = page.locator("#run").get_attribute("data-submission")
    submit()
    page.wait_for_function(
        """before => {
            const run = document.getElementById("run");
            return run.dataset.submission !== undefined && run.dataset.submission !== before
                && /^(passed|failed|error|timeout)$/.test(run.dataset.state);
        }""",
        arg=before,
        timeout=GRADING_MS,
    )
    return str(page.locator("#run").get_attribute("data-state"))


def _press_submit(page: Any) -> Callable[[], None]:
    def submit() -> None:
        page.locator("#submit-button").focus()
        page.keyboard.press("Enter")

    return submit


def _place(page: Any, block_id: str, indent: int) -> None:
    """Add a block from the pool to the end of the program and indent it: keys only."""
    page.locator(f'.pblock[data-id="{block_id}"] .pblock-select').focus()
    page.keyboard.press("ArrowRight")  # into the program
    for _ in range(indent):
        page.keyboard.press("ArrowRight")


def test_parsons_by_keyboard_only(page: Any, base_url: str, learner: User) -> None:
    expect = playwright_sync.expect
    assert learner.id is not None
    seed = seed_of(learner.id, ECHO.slug, PARSONS)
    blocks = sample_blocks(ECHO)
    not_awaited = next(b for b in distractor_blocks(ECHO) if b.text == "websocket.accept()")
    page.goto(base_url + "/exercises/echo-once")
    modes = page.locator("#modes")
    expect(modes.locator('[data-mode="parsons"]')).to_contain_text("Not tried yet")
    assert_accessible(page, "the lesson page with its modes")
    page.get_by_role("link", name="Parsons puzzle").click()
    page.wait_for_url(base_url + "/exercises/echo-once/parsons")
    assert_accessible(page, "the Parsons puzzle")
    _fits_a_phone(page, "the Parsons puzzle")

    # A wrong try: the accept without its await.
    for block in blocks:
        chosen = not_awaited if block.first_line == 6 else block
        _place(page, _token(seed, chosen.key), block.level)
    program = page.locator("#parsons-program .pblock")
    expect(program).to_have_count(len(blocks))
    expect(page.locator("#parsons-status")).to_contain_text("indent 1")
    assert _graded(page, _press_submit(page)) == "failed"
    expect(page.locator("#mode-feedback")).to_contain_text("Step 2 (Server calls websocket.accept()) did not pass")
    expect(page.locator("#parsons-help")).to_contain_text("taken out")
    expect(page.locator(".pblock")).to_have_count(len(blocks) + 2)  # one distractor of three is gone

    # The right try: the distractor back out (Delete), the awaited accept in its place.
    page.locator(f'.pblock[data-id="{_token(seed, not_awaited.key)}"] .pblock-select').focus()
    page.keyboard.press("Delete")
    accept = next(b for b in blocks if b.first_line == 6)
    _place(page, _token(seed, accept.key), 1)
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    expect(page.locator("#parsons-status")).to_contain_text("line 5 of 7")
    assert _graded(page, _press_submit(page)) == "passed"
    expect(page.locator("#mode-feedback")).to_contain_text("Passed")
    assert_accessible(page, "the Parsons puzzle, solved")
    page.goto(base_url + "/exercises/echo-once")
    expect(page.locator('#modes [data-mode="parsons"]')).to_contain_text("Solved on try 2 of 2")


def test_blanks_and_fix_the_bug(page: Any, base_url: str) -> None:
    expect = playwright_sync.expect
    page.goto(base_url + "/exercises/echo-once/blanks")
    assert_accessible(page, "fill in the blanks")
    _fits_a_phone(page, "fill in the blanks")
    page.get_by_label("Blank 1, line 6").fill("await websocket.accept()")
    page.get_by_label("Blank 2, line 7").fill("await websocket.receive_text()")
    reply = page.get_by_label("Blank 3, line 8")
    reply.fill('await websocket.send_text("Message text was: " + data)')
    assert _graded(page, lambda: reply.press("Enter")) == "passed"
    expect(page.locator("#attempts li")).to_have_count(1)

    page.goto(base_url + "/exercises/echo-once/fix")
    expect(page.locator(".cm-content")).to_be_visible()
    assert_accessible(page, "fix the bug")
    _fits_a_phone(page, "fix the bug")
    assert _graded(page, page.locator("#submit-button").click) in ("failed", "error", "timeout")
    expect(page.locator("#mode-feedback")).to_contain_text("still does not pass")
    page.evaluate("code => window.tracedojoEditor.setValue(code)", ECHO.source(ECHO.reference))
    page.locator(".cm-content").click()
    assert _graded(page, lambda: page.keyboard.press("Control+Enter")) == "passed"  # the editor's own shortcut
    expect(page.locator("#mode-feedback")).to_contain_text("Fixed. The bug was:")
    expect(page.get_by_role("link", name="Next bug →")).to_be_visible()


def test_a_block_dragged_by_its_handle_lands_in_the_program_indented(page: Any, base_url: str) -> None:
    expect = playwright_sync.expect
    page.goto(base_url + "/exercises/echo-once/parsons")
    block = page.locator("#parsons-pool .pblock").first
    block_id = block.get_attribute("data-id")
    handle = block.locator(".drag-handle").bounding_box()
    target = page.locator("#parsons-program").bounding_box()
    page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    page.mouse.move(target["x"] + 24 + 2 * 24 + 5, target["y"] + 10, steps=8)  # two indentation steps in
    page.mouse.up()
    placed = page.locator(f'#parsons-program .pblock[data-id="{block_id}"]')
    expect(placed).to_have_attribute("data-indent", "2")
    expect(page.locator("#parsons-status")).to_contain_text("line 1 of 1 of your program, indent 2")


def test_a_block_dragged_by_touch_lands_in_the_program(chromium: Any, base_url: str, page: Any) -> None:
    """Touch emulation: the finger's touch events reach the handle as pointer events."""
    expect = playwright_sync.expect
    # Tall enough for the blocks and the program both to be on screen: a finger drags only what it sees.
    context = chromium.new_context(viewport={"width": PHONE, "height": 1600}, has_touch=True, is_mobile=True)
    context.add_cookies(page.context.cookies())
    phone = context.new_page()
    phone.set_default_timeout(TIMEOUT_MS)
    phone.goto(base_url + "/exercises/echo-once/parsons")
    block = phone.locator("#parsons-pool .pblock").last
    block_id = block.get_attribute("data-id")
    phone.locator("#parsons-program").scroll_into_view_if_needed()
    handle = block.locator(".drag-handle").bounding_box()
    target = phone.locator("#parsons-program").bounding_box()
    cdp = context.new_cdp_session(phone)
    start = {"x": handle["x"] + handle["width"] / 2, "y": handle["y"] + handle["height"] / 2}
    end = {"x": target["x"] + 30, "y": target["y"] + 10}
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [start]})
    for i in range(1, 9):
        point = {"x": start["x"] + (end["x"] - start["x"]) * i / 8, "y": start["y"] + (end["y"] - start["y"]) * i / 8}
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    expect(phone.locator(f'#parsons-program .pblock[data-id="{block_id}"]')).to_have_count(1)
    context.close()
