"""The lesson's modes in a real Chromium. On echo-once: the Parsons puzzle played by keyboard only, by mouse
drags and by touch drags, each with one wrong try (the help it earns) and one right try; the blanks with a
wrong then a right fill; a bug skipped ("Try another bug") and one fixed; blanks, fix and Parsons again
with JavaScript turned off (plain forms). For all 8 lessons: every mode's page shows its puzzle or
controls, axe-core finds no serious violation and nothing scrolls sideways at 390 px."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import playwright.sync_api as playwright_sync
import pytest
from axe import assert_accessible
from factories import PASSWORD, create_learner
from sqlmodel import Session
from test_browser import TIMEOUT_MS, base_url, chromium, settings  # noqa: F401 - fixtures shared

from grader import Exercise, find_exercise
from grader.puzzles import Block, distractor_blocks, sample_blocks
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
    reply.fill("await websocket.send_text(data)")  # a wrong try: the reply without its prefix
    assert _graded(page, lambda: reply.press("Enter")) == "failed"
    expect(page.locator("#mode-feedback")).to_contain_text("runs blank 3")
    assert_accessible(page, "fill in the blanks, a wrong try")
    reply.fill('await websocket.send_text("Message text was: " + data)')  # the right one, not the sample's
    assert _graded(page, lambda: reply.press("Enter")) == "passed"
    expect(page.locator("#attempts li")).to_have_count(2)

    page.goto(base_url + "/exercises/echo-once/fix")
    expect(page.locator(".cm-content")).to_be_visible()
    assert_accessible(page, "fix the bug")
    _fits_a_phone(page, "fix the bug")
    skipped = page.locator('#submit-form input[name="variant"]').get_attribute("value")
    page.get_by_role("button", name="Try another bug").click()  # moves on without a fix
    expect(page.locator(".fix-skip")).to_contain_text("skipped 1 time so far")
    assert page.locator('#submit-form input[name="variant"]').get_attribute("value") != skipped
    assert _graded(page, page.locator("#submit-button").click) in ("failed", "error", "timeout")
    expect(page.locator("#mode-feedback")).to_contain_text("still does not pass")
    page.evaluate("code => window.tracedojoEditor.setValue(code)", ECHO.source(ECHO.reference))
    page.locator(".cm-content").click()
    assert _graded(page, lambda: page.keyboard.press("Control+Enter")) == "passed"  # the editor's own shortcut
    expect(page.locator("#mode-feedback")).to_contain_text("Fixed. The bug was:")
    expect(page.get_by_role("link", name="Next bug →")).to_be_visible()


def _drop_point(page: Any, indent: int, before: Any | None) -> tuple[float, float]:
    """Where to let go: ``indent`` steps into the program, above ``before`` (a block there) or at its end."""
    program = page.locator("#parsons-program").bounding_box()
    x = program["x"] + 24 + indent * 24 + 5
    if before is not None:
        box = before.bounding_box()
        return x, box["y"] + 3
    placed = page.locator("#parsons-program .pblock")
    if placed.count():
        box = placed.last.bounding_box()
        return x, box["y"] + box["height"] - 3
    return x, program["y"] + 10


def _handle_centre(page: Any, block_id: str) -> tuple[float, float]:
    handle = page.locator(f'.pblock[data-id="{block_id}"] .drag-handle').bounding_box()
    return handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2


def _mouse_drag(page: Any, block_id: str, to: tuple[float, float]) -> None:
    page.mouse.move(*_handle_centre(page, block_id))
    page.mouse.down()
    page.mouse.move(*to, steps=6)
    page.mouse.up()


def _touch_drag(page: Any, cdp: Any, block_id: str, to: tuple[float, float]) -> None:
    """A finger's drag, as Chromium's touch emulation sends it (the page sees pointer events)."""
    x0, y0 = _handle_centre(page, block_id)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x0, "y": y0}]})
    for i in range(1, 7):
        point = {"x": x0 + (to[0] - x0) * i / 6, "y": y0 + (to[1] - y0) * i / 6}
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def _play_by_dragging(
    page: Any, base_url: str, learner: User, drag: Callable[[str, tuple[float, float]], None]
) -> None:
    """One wrong try (the accept without its await, dragged in) and one right try (the distractor dragged
    back out, the awaited accept dropped into its place), then the lesson says which try solved it."""
    expect = playwright_sync.expect
    assert learner.id is not None
    seed = seed_of(learner.id, ECHO.slug, PARSONS)
    ids = {b.key: _token(seed, b.key) for b in [*sample_blocks(ECHO), *distractor_blocks(ECHO)]}
    blocks = sample_blocks(ECHO)
    not_awaited = next(b for b in distractor_blocks(ECHO) if b.text == "websocket.accept()")
    accept = next(b for b in blocks if b.first_line == 6)
    page.goto(base_url + "/exercises/echo-once/parsons")
    for block in blocks:
        chosen: Block = not_awaited if block is accept else block
        drag(ids[chosen.key], _drop_point(page, block.level, None))
        placed = page.locator(f'#parsons-program .pblock[data-id="{ids[chosen.key]}"]')
        expect(placed).to_have_attribute("data-indent", str(block.level))
    expect(page.locator("#parsons-program .pblock")).to_have_count(len(blocks))
    assert _graded(page, page.locator("#submit-button").click) == "failed"
    expect(page.locator("#mode-feedback")).to_contain_text("Step 2 (Server calls websocket.accept()) did not pass")
    expect(page.locator("#parsons-help")).to_contain_text("taken out")

    pool = page.locator("#parsons-pool").bounding_box()
    drag(ids[not_awaited.key], (pool["x"] + pool["width"] / 2, pool["y"] + pool["height"] - 4))
    expect(page.locator(f'#parsons-pool .pblock[data-id="{ids[not_awaited.key]}"]')).to_have_count(1)
    following = page.locator(f'#parsons-program .pblock[data-id="{ids[blocks[blocks.index(accept) + 1].key]}"]')
    drag(ids[accept.key], _drop_point(page, accept.level, following))
    order = page.locator("#parsons-program .pblock").evaluate_all("els => els.map(el => el.dataset.id)")
    assert order == [ids[b.key] for b in blocks]
    assert _graded(page, page.locator("#submit-button").click) == "passed"
    expect(page.locator("#mode-feedback")).to_contain_text("Passed")
    page.goto(base_url + "/exercises/echo-once")
    expect(page.locator('#modes [data-mode="parsons"]')).to_contain_text("Solved on try 2 of 2")


def test_parsons_by_mouse_wrong_then_right(chromium: Any, base_url: str, page: Any, learner: User) -> None:
    # Tall enough for the blocks and the program both to be on screen while dragging.
    context = chromium.new_context(viewport={"width": 1280, "height": 1400})
    context.add_cookies(page.context.cookies())
    desk = context.new_page()
    desk.set_default_timeout(TIMEOUT_MS)
    _play_by_dragging(desk, base_url, learner, lambda block_id, to: _mouse_drag(desk, block_id, to))
    context.close()


def test_parsons_by_touch_wrong_then_right(chromium: Any, base_url: str, page: Any, learner: User) -> None:
    """Touch emulation at phone width: a finger drags only what it sees, so the page is tall."""
    context = chromium.new_context(viewport={"width": PHONE, "height": 2400}, has_touch=True, is_mobile=True)
    context.add_cookies(page.context.cookies())
    phone = context.new_page()
    phone.set_default_timeout(TIMEOUT_MS)
    cdp = context.new_cdp_session(phone)
    _play_by_dragging(phone, base_url, learner, lambda block_id, to: _touch_drag(phone, cdp, block_id, to))
    context.close()


def test_blanks_fix_and_parsons_without_javascript(chromium: Any, base_url: str, page: Any, learner: User) -> None:
    """The plain forms: each answer is graded and its submission page shows the verdict."""
    expect = playwright_sync.expect
    context = chromium.new_context(viewport={"width": PHONE, "height": 900}, java_script_enabled=False)
    context.add_cookies(page.context.cookies())
    plain = context.new_page()
    plain.set_default_timeout(TIMEOUT_MS)

    def verdict() -> str:
        plain.wait_for_url(f"{base_url}/submissions/*")
        for _ in range(60):  # without JavaScript the page does not follow the grading: reload until final
            badge = plain.locator("#overall-status").get_attribute("class") or ""
            state = next((s for s in ("passed", "failed", "error", "timeout") if s in badge.split()), "")
            if state:
                return state
            plain.wait_for_timeout(500)
            plain.reload()
        raise AssertionError("the submission was not graded in time")

    plain.goto(base_url + "/exercises/echo-once/blanks")
    plain.get_by_label("Blank 1, line 6").fill("await websocket.accept()")
    plain.get_by_label("Blank 2, line 7").fill("await websocket.receive_text()")
    plain.get_by_label("Blank 3, line 8").fill('await websocket.send_text(f"Message text was: {data}")')
    plain.get_by_role("button", name="Submit for grading").click()
    assert verdict() == "passed"

    plain.goto(base_url + "/exercises/echo-once/fix")
    skipped = plain.locator('#submit-form input[name="variant"]').get_attribute("value")
    plain.get_by_role("button", name="Try another bug").click()
    plain.wait_for_url(base_url + "/exercises/echo-once/fix")
    assert plain.locator('#submit-form input[name="variant"]').get_attribute("value") != skipped
    plain.locator("#code").fill(ECHO.source(ECHO.reference))
    plain.get_by_role("button", name="Submit for grading").click()
    assert verdict() == "passed"

    assert learner.id is not None
    seed = seed_of(learner.id, ECHO.slug, PARSONS)
    plain.goto(base_url + "/exercises/echo-once/parsons")
    expect(plain.locator(".parsons-toolbar")).to_be_hidden()  # buttons that need a script are not offered
    for place, block in enumerate(sample_blocks(ECHO), start=1):
        block_id = _token(seed, block.key)
        plain.locator(f'input[name="place-{block_id}"]').fill(str(place))
        plain.locator(f'select[name="indent-{block_id}"]').select_option(str(block.level))
    plain.get_by_role("button", name="Submit for grading").click()
    assert verdict() == "passed"
    expect(plain.locator("#overall-status")).to_contain_text("Passed")
    context.close()

    # axe needs JavaScript to run: the same no-script form, with the page's own script kept from loading.
    page.route("**/static/build/modes.js", lambda route: route.fulfill(body="", content_type="text/javascript"))
    page.goto(base_url + "/exercises/echo-once/parsons")
    expect(page.locator(".pblock-form").first).to_be_visible()
    assert_accessible(page, "the Parsons puzzle's no-script form")
    _fits_a_phone(page, "the Parsons puzzle's no-script form")


LESSONS = [
    "echo-once",
    "echo-loop",
    "json-messages",
    "binary-frames",
    "close-codes",
    "items-auth",
    "subprotocol-denial",
    "chat-broadcast",
]

# Each mode's page and what shows that its puzzle or controls are there.
MODE_PAGES = [
    ("read, step through and quiz", "", ["#flow", "#stepper", "#quiz input", "#modes"]),
    ("predict", "/predict", ["main form button"]),
    ("parsons", "/parsons", [".pblock .pblock-select", "#submit-button"]),
    ("blanks", "/blanks", [".blank-input", "#submit-button"]),
    ("fix", "/fix", [".cm-content", "#submit-button", "#skip-button"]),
    ("write", "/code", [".cm-content", "#submit-button"]),
    ("review", "/review", ["main h1"]),
]


@pytest.mark.parametrize("slug", LESSONS)
def test_every_mode_of_every_lesson_renders_passes_axe_and_fits_a_phone(page: Any, base_url: str, slug: str) -> None:
    lesson: Exercise = find_exercise(slug)
    assert lesson.slug == slug
    for name, path, shown in MODE_PAGES:
        page.goto(f"{base_url}/exercises/{slug}{path}")
        for selector in shown:
            assert page.locator(selector).count() > 0, f"{slug} {name}: nothing matches {selector}"
        assert_accessible(page, f"{slug}: {name}")
        _fits_a_phone(page, f"{slug}: {name}")
