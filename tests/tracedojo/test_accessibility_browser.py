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
from tracedojo.course_models import CourseRole
from tracedojo.courses import add_member, create_course
from tracedojo.db import make_engine
from tracedojo.models import Role, Submission, SubmissionStatus, User
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
    # The hint names the lesson's sections as the page shows them, each a link to it.
    expect(question.locator('.feedback a[href="#tracker"]')).to_have_text("Variable tracker")
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
        learner_row = session.exec(select(User).where(User.username == username.lower())).one()
        learner_id = learner_row.id
        course = create_course(session, title="Replay lab", created_by=teacher)
        add_member(session, course=course, user=learner_row, role=CourseRole.LEARNER)
        # Two more learners whose answers share code beyond the lesson's sample (one renamed), so the
        # similarity page has a pair with marked regions to check.
        extra = (
            "\n\ndef tally(history, word):\n    counts = {}\n    for item in history + [word]:\n"
            "        counts[item] = counts.get(item, 0) + 1\n"
            "    ranked = sorted(counts.items(), key=lambda kv: -kv[1])\n"
            "    return [name for name, _ in ranked][:3]\n"
        )
        for copier, code in (
            (create_learner(session), exercise.source(exercise.reference) + extra),
            (create_learner(session), exercise.source(exercise.reference) + extra.replace("counts", "seen")),
        ):
            assert copier.id is not None
            session.add(
                Submission(
                    user_id=copier.id,
                    exercise_slug=exercise.slug,
                    exercise_version=exercise.version,
                    code=code,
                    status=SubmissionStatus.PASSED,
                    score=7.0,
                    max_score=7.0,
                )
            )
        session.commit()
    engine.dispose()
    _sign_in(page, base_url, teacher.username)
    page.goto(base_url + "/instructor")
    expect(page.get_by_role("heading", name="Gradebook")).to_be_visible()
    audit.check("instructor-gradebook")
    page.goto(base_url + f"/instructor/exercises/{exercise.slug}")
    audit.check("instructor-exercise")
    page.goto(base_url + f"/instructor/exercises/{exercise.slug}/similarity")
    expect(page.locator("main")).to_contain_text(copier.username)  # the last one, in the pair
    audit.check("instructor-similarity")
    page.goto(base_url + f"/instructor/learners/{learner_id}")
    audit.check("instructor-learner")
    page.goto(base_url + f"/instructor/submissions/{failed_id}")
    # The instructor sees the learner's run on the same replay as the learner.
    expect(page.locator("#stepper.replay")).to_be_visible()
    expect(page.locator("#stepper [data-compare-title]")).to_contain_text("the first step where")
    audit.check("instructor-submission")
    page.goto(base_url + f"/courses/{course.id}/submissions/{failed_id}")
    expect(page.locator("#stepper.replay")).to_be_visible()
    expect(page.locator("#stepper-title")).to_have_text(f"Replay {username.lower()}'s run, step by step")
    audit.check("course-submission")

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


# --- The stepper: the lesson's trace, predictions, and the replay of a learner's own run ----------

_STEPPER_STATE = """root => ({
    n: root.stepper.current,
    position: root.querySelector('[data-position]').textContent,
    ran: [...root.querySelectorAll('.code-lines li.ran')].map(li => Number(li.dataset.line)),
    next: [...root.querySelectorAll('.code-lines li.next')].map(li => Number(li.dataset.line)),
    named: [...root.querySelectorAll('.code-lines li.named')].map(li => Number(li.dataset.line)),
    tags: [...root.querySelectorAll('.code-lines .line-tag')].map(t => t.textContent).filter(Boolean),
    frames: [...root.querySelectorAll('[data-lanes] li.frame')]
        .map(li => [Number(li.dataset.step), li.dataset.client, li.dataset.direction, li.dataset.type]),
    pauses: [...root.querySelectorAll('[data-lanes] li.pause')].map(li => Number(li.dataset.step)),
    ghost: [...root.querySelectorAll('[data-ghost] li.frame')]
        .map(li => [Number(li.dataset.step), li.dataset.client, li.dataset.direction, li.dataset.type]),
    tracker: root.querySelector('[data-tracker-title]').textContent,
    data: (td => td ? (td.querySelector('code') || td).textContent : null)(
        root.querySelector('[data-tracker] tr[data-variable="data"] td')),
    yours: [...root.querySelectorAll('[data-tracker] tbody tr')].map(tr => [tr.dataset.variable,
        (tr.querySelectorAll('td')[1] || {}).textContent || null]),
    compare: (root.querySelector('[data-compare-title]') || {}).textContent || null,
    compareText: (root.querySelector('[data-compare]') || {}).textContent || null,
    hash: location.hash,
    path: location.pathname,
})"""


def _stepper_state(page: Any, root: str = "#stepper") -> dict[str, Any]:
    state: dict[str, Any] = page.locator(root).evaluate(_STEPPER_STATE)
    return state


def _shoot_stepper(page: Any, root: str, name: str) -> None:
    from test_browser import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(root).screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def test_the_stepper_by_mouse_and_keyboard_with_predictions_and_the_replay_of_a_run(
    sized_page: tuple[Any, str], base_url: str, settings: Settings
) -> None:
    """The "Done when" of the stepper: a lesson stepped forwards and backwards by mouse and by
    keyboard (marked lines, lane arrows and tracker column checked at each step), a prediction
    stored, a wrong then a right endpoint submitted without leaving the code page and each run
    replayed there; axe and the 390 px width at every state; the stepper shot at several steps."""
    from tracedojo.trace_view import lesson_trace, prediction_for

    page, size = sized_page
    audit = Audit(page, size)
    exercise = find_exercise("echo-once", EXERCISES)
    trace = lesson_trace(exercise)
    columns = exercise.variable_tracker.columns
    data_row = next(row for row in exercise.variable_tracker.rows if row.name == "data")
    revealed: set[int] = set()

    def expect_lesson_step(n: int, how: str, *, linked: bool = True) -> None:
        step = trace.steps[n - 1]
        state = _stepper_state(page)
        pending = step.prediction is not None and n not in revealed
        where = f"{size}, step {n} by {how}: {state}"
        assert state["n"] == n and state["position"] == f"Step {n} of {len(trace.steps)}", where
        assert state["hash"] == (f"#step-{n}" if linked else ""), where  # a step moved to has its link
        assert state["ran"] == step.lines, where
        assert state["next"] == [line for line in step.next_lines if line not in step.lines], where
        assert "◀ just ran" in state["tags"], where
        assert ("⇢ runs next" in state["tags"]) == bool(state["next"]), where
        frames = [
            [s.n, f.client, f.direction, f.type]
            for s in trace.steps[:n]
            for f in s.frames
            if not (pending and s.n == n and f.direction == "to_client")
        ]
        assert state["frames"] == frames, where
        assert state["pauses"] == [s.n for s in trace.steps[:n] for _ in s.waiting], where
        assert step.tracker_column is not None
        heading = columns[step.tracker_column]
        assert state["tracker"] == f"Variables — column “{heading}”", where
        concealed = pending and f"step {n}" in heading.lower()
        assert state["data"] == ("predict first" if concealed else data_row.values[step.tracker_column]), where

    engine = make_engine(settings.database_url)
    with Session(engine, expire_on_commit=False) as session:
        learner = create_learner(session)
    engine.dispose()
    _sign_in(page, base_url, learner.username)
    page.goto(base_url + f"/exercises/{exercise.slug}")
    stepper = page.locator("#stepper")
    expect(stepper).to_be_visible()
    expect_lesson_step(1, "opening the lesson", linked=False)
    audit.check("stepper-step-1")
    _shoot_stepper(page, "#stepper", f"stepper-{size}-step-1")

    # Forwards by mouse: Next, Next (a pause at step 3), Next to the first prediction.
    for n in (2, 3, 4):
        stepper.locator("[data-go=next]").click()
        expect_lesson_step(n, "mouse (Next)")
    audit.check("stepper-step-4-predict")
    _shoot_stepper(page, "#stepper", f"stepper-{size}-step-4-predict")

    # Predict at step 4 (a choice), then the step reveals what the server received; it is stored.
    prediction = prediction_for(exercise, 4)
    assert prediction is not None and prediction.kind == "choice"
    form = stepper.locator("[data-predict]")
    expect(form).to_contain_text(prediction.prompt)
    form.get_by_role("radio", name=prediction.answer, exact=True).check()
    form.get_by_role("button", name="Check my prediction").click()
    expect(stepper.locator("[data-predict-feedback]")).to_contain_text("Right")
    revealed.add(4)
    expect_lesson_step(4, "predicting")
    stored = page.request.get(base_url + f"/api/exercises/{exercise.slug}/predictions").json()
    assert [(p["step"], p["answer"], p["correct"]) for p in stored] == [(4, prediction.answer, True)]
    audit.check("stepper-step-4-predicted")

    # Forwards by keyboard (→ from the code region), skipping step 5's prediction, a wrong typed
    # prediction at step 6 (stored as wrong), then End.
    stepper.locator("[data-code]").focus()
    page.keyboard.press("ArrowRight")
    expect_lesson_step(5, "keyboard (→)")
    stepper.locator("[data-skip]").focus()
    page.keyboard.press("Enter")
    revealed.add(5)
    expect_lesson_step(5, "skipping the prediction")
    stepper.locator("[data-code]").focus()
    page.keyboard.press("ArrowRight")
    expect_lesson_step(6, "keyboard (→)")
    typed = stepper.locator("[data-predict] input[type=text]")
    typed.fill("Hello")
    typed.press("Enter")
    expect(stepper.locator("[data-predict-feedback]")).to_contain_text("Not quite")
    revealed.add(6)
    expect_lesson_step(6, "a typed prediction")
    audit.check("stepper-step-6-wrong-prediction")
    _shoot_stepper(page, "#stepper", f"stepper-{size}-step-6")
    stored = page.request.get(base_url + f"/api/exercises/{exercise.slug}/predictions").json()
    assert sorted((p["step"], p["correct"]) for p in stored) == [(4, True), (6, False)]
    stepper.locator("[data-code]").focus()
    page.keyboard.press("End")
    expect_lesson_step(7, "keyboard (End)")
    audit.check("stepper-step-7-last")
    _shoot_stepper(page, "#stepper", f"stepper-{size}-step-7")

    # Backwards by keyboard and by mouse: ←, Back, a row of the spine, Home, First after Last.
    page.keyboard.press("ArrowLeft")
    expect_lesson_step(6, "keyboard (←)")
    stepper.locator("[data-go=back]").click()
    expect_lesson_step(5, "mouse (Back)")
    stepper.locator("[data-spine] button[data-step='3']").click()
    expect_lesson_step(3, "mouse (the spine)")
    _shoot_stepper(page, "#stepper", f"stepper-{size}-step-3")
    stepper.locator("[data-code]").focus()
    page.keyboard.press("Home")
    expect_lesson_step(1, "keyboard (Home)")
    stepper.locator("[data-go=last]").click()
    expect_lesson_step(7, "mouse (Last)")
    stepper.locator("[data-go=first]").click()
    expect_lesson_step(1, "mouse (First)")
    # A step's link opens that step.
    page.goto(base_url + f"/exercises/{exercise.slug}#step-5")
    expect(stepper).to_be_visible()
    expect_lesson_step(5, "its link")
    audit.check("stepper-linked-step-5")

    # The code page: a wrong endpoint (it crashes at step 5), then the right one, without leaving
    # the page; each result replays the run beside the lesson's trace.
    crash = next(v for v in exercise.variants if v.file.endswith("type_error.py"))
    page.goto(base_url + f"/exercises/{exercise.slug}/code")
    expect(page.locator(".cm-editor")).to_be_visible()
    code_url = page.url
    _submit_in_page(page, exercise.source(crash.file))
    expect(page.locator("#verdict")).to_contain_text(f"at step {crash.fails_at}")
    replay = page.locator("#replay-host #stepper")
    expect(replay).to_be_visible()
    expect(page.locator("#replay-link")).to_be_visible()
    assert page.url == code_url
    state = _stepper_state(page, "#replay-host #stepper")
    code = exercise.source(crash.file)
    named = next(i for i, line in enumerate(code.splitlines(), 1) if "len(data)" in line)
    assert state["n"] == crash.fails_at, state
    assert state["compare"] == f"Step {crash.fails_at}: the first step where your run differs", state
    assert state["named"] == [named] and "⚠ named in the message" in " ".join(state["tags"]), state
    assert state["hash"] == "" and state["path"].endswith("/code"), state
    # Their frames on the lanes (the close their crash caused), the lesson's as a ghost beside them.
    assert [f[3] for f in state["frames"]] == ["connect", "accept", "text", "close"], state
    assert state["ghost"] == [
        [s.n, f.client, f.direction, f.type] for s in trace.steps[: crash.fails_at] for f in s.frames
    ], state
    # The failure said once: the replay points to the row beside the code that says it.
    submission_id = int((page.locator("#run-link").get_attribute("href") or "").rsplit("/", 1)[1])
    result = page.request.get(base_url + f"/api/submissions/{submission_id}").json()
    failed_row = page.locator(f'.run-step[data-n="{crash.fails_at}"]')
    actual = failed_row.locator(".actual").inner_text()
    assert actual and page.locator("main").inner_text().count(actual) == 1
    assert f"Step {crash.fails_at}'s row of the result says" in state["compareText"], state
    replay.get_by_role("button", name=f"Show step {crash.fails_at}'s row").click()
    expect(failed_row).to_be_focused()
    untracked = dict(state["yours"])
    assert untracked.get("response", "").startswith("not a variable"), state
    audit.check("code-replay-failed")
    _shoot_stepper(page, "#replay-host #stepper", f"stepper-{size}-replay-failed")
    # The replay steps by keyboard too; the paused line of the learner's code is marked.
    replay.locator("[data-code]").focus()
    page.keyboard.press("Home")
    state = _stepper_state(page, "#replay-host #stepper")
    paused = result["steps"][0]["paused_line"]
    assert state["n"] == 1 and state["ran"] == ([paused] if paused else []), state

    _submit_in_page(page, exercise.source(exercise.reference))
    expect(page.locator("#verdict")).to_contain_text("Passed")
    expect(page.locator("#replay-host #stepper")).to_be_visible()
    expect(page.locator("#replay-host #stepper [data-compare-title]")).to_have_text("Step 1: expected and actual")
    # Rows that passed say nothing beside the code: the replay says their expected and actual.
    expect(page.locator("#replay-host #stepper .compare dt").first).to_have_text("Expected")
    state = _stepper_state(page, "#replay-host #stepper")
    assert page.url == code_url and state["n"] == 1 and state["named"] == [], state
    assert page.locator("#replay-host #stepper").count() == 1
    page.locator("#replay-host #stepper [data-go=last]").click()
    state = _stepper_state(page, "#replay-host #stepper")
    assert state["compare"] == "Step 7: expected and actual", state
    assert state["ghost"] == [[s.n, f.client, f.direction, f.type] for s in trace.steps for f in s.frames], state
    audit.check("code-replay-passed")
    _shoot_stepper(page, "#replay-host #stepper", f"stepper-{size}-replay-passed")

    assert len(audit.checked) == 8
    audit.verify()
