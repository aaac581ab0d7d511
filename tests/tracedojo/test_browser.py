"""The whole learner flow in a real Chromium driven by Playwright against a real uvicorn.

The browser is the one ``tools/browser.py`` finds (Debian's chromium, else Playwright's download).

Screenshots of the main pages go to artifacts/screenshots/ for review.
"""

from __future__ import annotations

import importlib.util
import re
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import playwright.sync_api as playwright_sync
import pytest
import uvicorn
from factories import EXERCISES, PASSWORD, create_learner, make_settings, random_username
from sqlmodel import Session

from grader import Exercise, find_exercise
from tracedojo.app import create_app
from tracedojo.db import make_engine
from tracedojo.models import Role
from tracedojo.settings import PROJECT_ROOT, Settings

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _browser_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tracedojo_browser_tool", PROJECT_ROOT / "tools" / "browser.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["tracedojo_browser_tool"] = module
    spec.loader.exec_module(module)
    return module


BROWSER_TOOL = _browser_tool()
CHROMIUM_ARGS = list(BROWSER_TOOL.LAUNCH_ARGS)
SCREENSHOTS = PROJECT_ROOT / "artifacts" / "screenshots"
TIMEOUT_MS = 30_000


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="module")
def base_url(settings: Settings) -> Iterator[str]:
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn-under-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the platform did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(15)


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    executable: Path | None = BROWSER_TOOL.executable()
    assert executable is not None, BROWSER_TOOL.WHAT_TO_INSTALL
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: object) -> Iterator[object]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    yield page
    context.close()
    assert not problems, f"the browser reported errors: {problems}"


def shoot(page: object, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def register(page: object, base_url: str) -> str:
    expect = playwright_sync.expect
    username = random_username()
    page.goto(base_url + "/")  # type: ignore[attr-defined]
    shoot(page, "01-welcome")
    page.get_by_role("link", name="Start learning").click()  # type: ignore[attr-defined]
    page.fill("#username", username)  # type: ignore[attr-defined]
    page.fill("#password", PASSWORD)  # type: ignore[attr-defined]
    page.fill("#password_again", PASSWORD)  # type: ignore[attr-defined]
    shoot(page, "02-register")
    page.get_by_role("button", name="Create account").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Your curriculum")).to_be_visible()  # type: ignore[attr-defined]
    return username


def type_code(page: object, lines: list[str]) -> None:
    """Type into CodeMirror like a person: the editor indents after a colon; Tab indents too."""
    page.locator(".cm-content").click()  # type: ignore[attr-defined]
    page.keyboard.press("Control+A")  # type: ignore[attr-defined]
    page.keyboard.press("Delete")  # type: ignore[attr-defined]
    for i, line in enumerate(lines):
        if i:
            page.keyboard.press("Enter")  # type: ignore[attr-defined]
        page.keyboard.type(line)  # type: ignore[attr-defined]


def test_register_read_answer_write_submit_and_watch(page: object, base_url: str) -> None:
    expect = playwright_sync.expect
    exercise = find_exercise("echo-once", EXERCISES)
    username = register(page, base_url)
    assert username in page.content()  # type: ignore[attr-defined]
    shoot(page, "03-curriculum")

    page.get_by_role("link", name=exercise.title).click()  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Execution table")).to_be_visible()  # type: ignore[attr-defined]
    expect(page.locator(".flow-node")).to_have_count(len(exercise.concept_flow.nodes))  # type: ignore[attr-defined]
    expect(page.locator(".codehilite").first).to_be_visible()  # type: ignore[attr-defined]
    shoot(page, "04-lesson")

    first = exercise.quiz[0]
    question = page.locator(f'form[data-question="{first.id}"]')  # type: ignore[attr-defined]
    wrong = next(letter for letter in first.choices if letter != first.answer)
    question.locator(f'input[value="{wrong}"]').check()
    question.get_by_role("button", name="Check answer").click()
    expect(question.locator(".feedback")).to_contain_text(first.hint)
    expect(question.locator(".feedback")).to_contain_text("Not quite")
    question.locator(f'input[value="{first.answer}"]').check()
    question.get_by_role("button", name="Check answer").click()
    expect(question.locator(".feedback")).to_contain_text(first.explanation)
    for other in exercise.quiz[1:]:
        form = page.locator(f'form[data-question="{other.id}"]')  # type: ignore[attr-defined]
        form.locator(f'input[value="{other.answer}"]').check()
        form.get_by_role("button", name="Check answer").click()
        expect(form.locator(".feedback")).to_contain_text("Right")
    expect(page.locator("[data-quiz-score]")).to_have_text(str(len(exercise.quiz) - 1))  # type: ignore[attr-defined]
    page.locator("#quiz").scroll_into_view_if_needed()  # type: ignore[attr-defined]
    shoot(page, "05-quiz-feedback")

    page.get_by_role("link", name="Open the editor").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("textbox", name="Your Python code")).to_be_visible()  # type: ignore[attr-defined]
    expect(page.locator(".cm-editor .cm-lineNumbers .cm-gutterElement").nth(1)).to_have_text("1")  # type: ignore[attr-defined]
    type_code(
        page,
        [
            "from fastapi import WebSocket",
            "",
            "async def websocket_endpoint(websocket: WebSocket):",
            "await websocket.accept()",  # the editor indents after the colon
            "data = await websocket.receive_text()",
            'await websocket.send_text(f"Message text was: {data}")',
        ],
    )
    code = page.evaluate("window.tracedojoEditor.getValue()")  # type: ignore[attr-defined]
    assert code.splitlines()[3:] == [
        "    await websocket.accept()",
        "    data = await websocket.receive_text()",
        '    await websocket.send_text(f"Message text was: {data}")',
    ], code
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    page.keyboard.press("Shift+Tab")  # type: ignore[attr-defined]
    page.keyboard.press("Tab")  # type: ignore[attr-defined]
    page.keyboard.type("# done")  # type: ignore[attr-defined]
    assert page.evaluate("window.tracedojoEditor.getValue()").endswith("\n    # done")  # type: ignore[attr-defined]
    expect(page.locator(".cm-editor .tok-keyword", has_text="async").first).to_be_visible()  # type: ignore[attr-defined]
    shoot(page, "06-editor")

    frames = watch_live_frames(page)
    code_page = page.url  # type: ignore[attr-defined]
    page.evaluate("window.__sameDocument = true")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Submit for grading").click()  # type: ignore[attr-defined]
    # The rows arrive beside the code, on the same page; the verdict is announced and focused.
    run = page.locator("#run")  # type: ignore[attr-defined]
    expect(run.locator(".run-step.passed")).to_have_count(len(exercise.execution_table))
    expect(page.locator("#verdict")).to_contain_text("Passed")  # type: ignore[attr-defined]
    expect(page.locator("#verdict")).to_contain_text("7 / 7")  # type: ignore[attr-defined]
    expect(page.locator("#verdict")).to_be_focused()  # type: ignore[attr-defined]
    assert page.url == code_page and page.evaluate("window.__sameDocument === true")  # type: ignore[attr-defined]
    assert any('"type":"result"' in f.replace(" ", "") for f in frames), "the result did not come over the live socket"
    expect(page.locator("#attempts .badge").first).to_contain_text("Passed")  # type: ignore[attr-defined]
    shoot(page, "06b-editor-passed")

    # The submission's own page still tells all of it, for links and history.
    page.locator("#run-link").click()  # type: ignore[attr-defined]
    page.wait_for_url("**/submissions/*")  # type: ignore[attr-defined]
    expect(page.locator("tr.step")).to_have_count(len(exercise.execution_table))  # type: ignore[attr-defined]
    expect(page.locator("tr.step.passed")).to_have_count(len(exercise.execution_table))  # type: ignore[attr-defined]
    expect(page.locator("#overall-status")).to_have_text("Passed")  # type: ignore[attr-defined]
    expect(page.locator("#overall-score")).to_have_text("7 / 7")  # type: ignore[attr-defined]
    expect(page.locator("#next-lesson")).to_be_visible()  # type: ignore[attr-defined]
    # Their own trace beside the lesson's: the learner's variables, captured in the sandbox.
    expect(page.locator("table.beside")).to_contain_text("data")  # type: ignore[attr-defined]
    expect(page.locator("table.beside .your-value").first).to_be_visible()  # type: ignore[attr-defined]
    shoot(page, "07-result-passed")

    page.goto(base_url + "/")  # type: ignore[attr-defined]
    expect(page.locator(".lesson-card").first).to_contain_text("Done")  # type: ignore[attr-defined]
    shoot(page, "08-progress")


def watch_live_frames(page: object) -> list[str]:
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))))  # type: ignore[attr-defined]
    return frames


def test_steps_turn_green_then_red_live(page: object, base_url: str) -> None:
    expect = playwright_sync.expect
    exercise: Exercise = find_exercise("echo-once", EXERCISES)
    variant = next(v for v in exercise.variants if v.fails_at > 2)
    register(page, base_url)
    page.goto(base_url + "/exercises/echo-once/code")  # type: ignore[attr-defined]
    # A slow import keeps the grading going while the result page opens, so the steps must arrive live.
    slow = "import time\ntime.sleep(1.5)\n" + exercise.source(variant.file)
    page.evaluate("code => window.tracedojoEditor.setValue(code)", slow)  # type: ignore[attr-defined]
    frames = watch_live_frames(page)
    page.evaluate("window.__sameDocument = true")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Submit for grading").click()  # type: ignore[attr-defined]
    # Beside the code, without a page change: rows wait, then turn green up to the failing one.
    expect(page.locator("#verdict")).to_contain_text("Grading")  # type: ignore[attr-defined]
    expect(page.locator(".run-step.running").first).to_be_visible()  # type: ignore[attr-defined]
    shoot(page, "09a-editor-grading")
    failed = page.locator(f'.run-step[data-n="{variant.fails_at}"]')  # type: ignore[attr-defined]
    expect(failed).to_have_class(re.compile(r"\b(failed|error|timeout)\b"))
    expect(page.locator("#verdict")).to_contain_text(f"at step {variant.fails_at} of {len(exercise.execution_table)}")  # type: ignore[attr-defined]
    expect(failed).to_be_focused()
    expect(page.locator(".run-step.passed")).to_have_count(variant.fails_at - 1)  # type: ignore[attr-defined]
    expect(failed.locator(".actual")).not_to_be_empty()
    expect(failed.locator(".expected")).not_to_be_empty()
    expect(page.locator("#attempts .badge").first).not_to_have_text("Grading…")  # type: ignore[attr-defined]
    assert page.evaluate("window.__sameDocument === true")  # type: ignore[attr-defined]
    assert sum('"type":"step"' in f.replace(" ", "") for f in frames) >= variant.fails_at
    # The failure is said once: the actual text appears in one place on the page, not three.
    actual = failed.locator(".actual").inner_text()
    assert page.locator("main").inner_text().count(actual) == 1  # type: ignore[attr-defined]
    # The run's replay is mounted below, still without a page change, and says the failure no more.
    expect(page.locator("#replay-host #stepper.replay")).to_be_visible()  # type: ignore[attr-defined]
    assert page.locator("main").inner_text().count(actual) == 1  # type: ignore[attr-defined]
    assert page.evaluate("window.__sameDocument === true")  # type: ignore[attr-defined]
    shoot(page, "09b-editor-failed")

    # The submission page follows a grading live too (opened while the grader is still at it).
    earlier = page.locator("#run").get_attribute("data-submission")  # type: ignore[attr-defined]
    slower = slow.replace("time.sleep(1.5)", "time.sleep(3)")
    page.evaluate("code => window.tracedojoEditor.setValue(code)", slower)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Submit for grading").click()  # type: ignore[attr-defined]
    page.wait_for_function("id => document.getElementById('run').dataset.submission !== id", arg=earlier)  # type: ignore[attr-defined]
    submission = page.locator("#run").get_attribute("data-submission")  # type: ignore[attr-defined]
    frames.clear()
    page.goto(f"{base_url}/submissions/{submission}")  # type: ignore[attr-defined]
    assert page.evaluate("document.querySelector('.result-page').dataset.final") == "false"  # type: ignore[attr-defined]
    page.evaluate("window.__sameDocument = true")  # type: ignore[attr-defined]
    expect(page.locator("#overall-status")).to_have_text("Grading…")  # type: ignore[attr-defined]
    expect(page.locator("tr.step.pending").first).to_be_visible()  # type: ignore[attr-defined]
    shoot(page, "09-result-grading")
    failed_row = page.locator(f'tr.step[data-n="{variant.fails_at}"]')  # type: ignore[attr-defined]
    expect(failed_row).to_have_class(re.compile(r"\b(failed|error|timeout)\b"))
    expect(page.locator("#overall-status")).not_to_have_text("Grading…")  # type: ignore[attr-defined]
    expect(page.locator("tr.step.passed")).to_have_count(variant.fails_at - 1)  # type: ignore[attr-defined]
    expect(failed_row.locator(".actual")).not_to_be_empty()
    expect(page.locator(".attempts-list .badge").first).not_to_have_text("Grading…")  # type: ignore[attr-defined]
    assert page.evaluate("window.__sameDocument === true")  # type: ignore[attr-defined]
    assert sum('"type":"step"' in f.replace(" ", "") for f in frames) >= variant.fails_at
    assert page.locator("main").inner_text().count(failed_row.locator(".actual").inner_text()) == 1  # type: ignore[attr-defined]
    # Once graded, the replay of the run appears on the page without a reload, opened at the failing row.
    expect(page.locator("#stepper.replay")).to_be_visible()  # type: ignore[attr-defined]
    expect(page.locator("#stepper [data-compare-title]")).to_contain_text(f"Step {variant.fails_at}: the first step")  # type: ignore[attr-defined]
    assert page.locator("main").inner_text().count(failed_row.locator(".actual").inner_text()) == 1  # type: ignore[attr-defined]
    assert page.evaluate("window.__sameDocument === true")  # type: ignore[attr-defined]
    shoot(page, "10-result-failed")


def test_instructor_dashboard(page: object, base_url: str, settings: Settings) -> None:
    expect = playwright_sync.expect
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        teacher = create_learner(session, role=Role.INSTRUCTOR)
    engine.dispose()
    page.goto(base_url + "/login")  # type: ignore[attr-defined]
    page.fill("#username", teacher.username)  # type: ignore[attr-defined]
    page.fill("#password", PASSWORD)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Log in").click()  # type: ignore[attr-defined]
    page.get_by_role("link", name="Instructor").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Gradebook")).to_be_visible()  # type: ignore[attr-defined]
    expect(page.locator(".gradebook tbody tr")).not_to_have_count(0)  # type: ignore[attr-defined]
    shoot(page, "11-instructor-gradebook")
    page.locator(".gradebook thead a").first.click()  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Where submissions fail first")).to_be_visible()  # type: ignore[attr-defined]
    shoot(page, "12-instructor-exercise")


def test_a_newcomer_finds_the_way_without_knowing_any_address(page: object, base_url: str) -> None:
    """From the home page by links only: the starter unchanged, a syntax error, then a pass."""
    expect = playwright_sync.expect
    exercise = find_exercise("echo-once", EXERCISES)
    register(page, base_url)
    page.locator("main a", has_text="Write the code").first.click()  # type: ignore[attr-defined]
    expect(page.locator(".cm-editor")).to_be_visible()  # type: ignore[attr-defined]

    page.get_by_role("button", name="Submit for grading").click()  # type: ignore[attr-defined]
    expect(page.locator("#verdict")).to_contain_text("Failed")  # type: ignore[attr-defined]
    page.locator("#run-link").click()  # type: ignore[attr-defined]
    page.wait_for_url("**/submissions/*")  # type: ignore[attr-defined]
    expect(page.locator("#overall-status")).to_have_text("Failed")  # type: ignore[attr-defined]
    expect(page.locator("#starter-note")).to_be_visible()  # type: ignore[attr-defined]
    # Not passed: no way on to the next lesson from here, editing is the way forward.
    expect(page.locator("#next-lesson")).to_be_hidden()  # type: ignore[attr-defined]
    expect(page.locator("#edit-code")).to_have_class(re.compile(r"\bprimary\b"))
    shoot(page, "13-newcomer-starter-unchanged")

    page.locator("#edit-code").click()  # type: ignore[attr-defined]
    # Two slow submissions occupy both grading workers, so the broken one is graded while its rows wait.
    page.evaluate(  # type: ignore[attr-defined]
        """code => Promise.all([1, 2].map(() => postJson("/api/exercises/echo-once/submissions", { code })))""",
        "import time\ntime.sleep(1.5)\n" + exercise.source(exercise.reference),
    )
    broken = (
        "from fastapi import WebSocket\n\n"
        "async def websocket_endpoint(websocket: WebSocket)\n    await websocket.accept()\n"
    )
    page.evaluate("code => window.tracedojoEditor.setValue(code)", broken)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Submit for grading").click()  # type: ignore[attr-defined]
    expect(page.locator(".run-step.running").first).to_be_visible()  # type: ignore[attr-defined]
    expect(page.locator("#verdict")).to_contain_text("SyntaxError at line 3")  # type: ignore[attr-defined]
    # The load error still settles every row (none left "Waiting").
    expect(page.locator(".run-step.skipped")).to_have_count(len(exercise.execution_table))  # type: ignore[attr-defined]
    expect(page.locator(".run-step.pending")).to_have_count(0)  # type: ignore[attr-defined]
    # The line the message names is marked in the editor itself.
    marked = page.locator(".cm-editor .cm-named-line")  # type: ignore[attr-defined]
    expect(marked).to_have_count(1)
    expect(marked).to_contain_text("async def websocket_endpoint")
    shoot(page, "14a-newcomer-syntax-error-in-editor")
    page.locator("#run-link").click()  # type: ignore[attr-defined]
    page.wait_for_url("**/submissions/*")  # type: ignore[attr-defined]
    expect(page.locator("#overall-message")).to_contain_text("SyntaxError at line 3")  # type: ignore[attr-defined]
    expect(page.locator("tr.step.skipped")).to_have_count(len(exercise.execution_table))  # type: ignore[attr-defined]
    marked = page.locator("#code-card .hll")  # type: ignore[attr-defined]
    expect(marked).to_have_count(1)
    expect(marked).to_contain_text("async def websocket_endpoint")
    shoot(page, "14-newcomer-syntax-error")

    page.locator("#edit-code").click()  # type: ignore[attr-defined]
    page.evaluate("code => window.tracedojoEditor.setValue(code)", exercise.source(exercise.reference))  # type: ignore[attr-defined]
    expect(page.locator(".cm-editor .cm-named-line")).to_have_count(0)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Submit for grading").click()  # type: ignore[attr-defined]
    expect(page.locator("#verdict")).to_contain_text("Passed")  # type: ignore[attr-defined]
    page.locator("#run-link").click()  # type: ignore[attr-defined]
    page.wait_for_url("**/submissions/*")  # type: ignore[attr-defined]
    expect(page.locator("#overall-status")).to_have_text("Passed")  # type: ignore[attr-defined]
    expect(page.locator("#next-lesson")).to_be_visible()  # type: ignore[attr-defined]
    page.locator("#next-lesson").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Execution table")).to_be_visible()  # type: ignore[attr-defined]

    # Typing the address to leave (the 404 page for a wrong one is in test_pages_newcomer: a 404
    # here would count as a console error).
    page.goto(base_url + "/logout")  # type: ignore[attr-defined]
    page.locator("main").get_by_role("button", name="Log out").click()  # type: ignore[attr-defined]
    expect(page.get_by_role("link", name="Log in").first).to_be_visible()  # type: ignore[attr-defined]
    shoot(page, "15-newcomer-logged-out")
