"""The instructor's dashboard in a real Chromium: the gradebook fills in live while a learner works,
the stuck-steps chart, the CSV export, a regrade after the exercise file changed, the drill-down.

Screenshots go to artifacts/screenshots/.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import playwright.sync_api as playwright_sync
import pytest
from factories import PASSWORD, create_learner, editable_exercises, make_settings
from sqlmodel import Session
from test_browser import base_url, chromium, page, shoot  # noqa: F401  (the fixtures, reused)

from tracedojo.db import make_engine
from tracedojo.models import Role, User
from tracedojo.settings import Settings

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SAYS_IS = """from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    await websocket.send_text(f"Message text is: {data}")
"""


@pytest.fixture(scope="module")
def exercises_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with editable_exercises(tmp_path_factory.mktemp("instructor-exercises")) as root:
        yield root


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, exercises_dir: Path) -> Settings:
    return make_settings(tmp_path_factory.mktemp("instructor-browser"), exercises_dir=exercises_dir)


def _accounts(settings: Settings) -> tuple[User, User]:
    engine = make_engine(settings.database_url)
    with Session(engine, expire_on_commit=False) as session:
        teacher = create_learner(session, role=Role.INSTRUCTOR)
        learner = create_learner(session)
    engine.dispose()
    return teacher, learner


def test_instructor_watches_the_class_exports_and_regrades(
    page: object,
    base_url: str,
    settings: Settings,
    exercises_dir: Path,
) -> None:
    expect = playwright_sync.expect
    p: Any = page
    teacher, learner = _accounts(settings)
    p.goto(base_url + "/login?next=/instructor")
    p.fill("#username", teacher.username)
    p.fill("#password", PASSWORD)
    p.get_by_role("button", name="Log in").click()
    expect(p.get_by_role("heading", name="Gradebook")).to_be_visible()
    expect(p.locator("#live-status")).to_have_text("live")
    p.evaluate("window.__sameDocument = true")
    row = p.locator(f'tr[data-username="{learner.username}"]')
    expect(row.locator("td.when")).to_contain_text("never")

    # A learner works through the first lesson (through the API, as the pages' scripts do).
    with httpx2.Client(base_url=base_url) as learner_client:
        token = learner_client.post("/api/auth/token", data={"username": learner.username, "password": PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        quiz = learner_client.get("/api/exercises/echo-once", headers=headers).json()["quiz"]
        learner_client.post(f"/api/exercises/echo-once/quiz/{quiz[0]['id']}", json={"choice": "A"}, headers=headers)
        queued = learner_client.post("/api/exercises/echo-once/submissions", json={"code": SAYS_IS}, headers=headers)
        assert queued.status_code == 202
        submission_id = queued.json()["id"]

    cell = row.locator('td[data-exercise="echo-once"]')
    expect(cell.locator(".code-score")).to_have_text("C 5/7")  # filled in live: no reload
    expect(cell).to_contain_text("(1)")
    expect(p.locator("#activity-feed")).to_contain_text(f"submission #{submission_id} to echo-once failed")
    expect(p.locator("#activity-feed")).to_contain_text(f"{learner.username} answered")
    assert p.evaluate("window.__sameDocument === true")
    shoot(p, "21-instructor-gradebook-live")

    # Filter, then export what is shown.
    p.fill('input[name="search"]', learner.username)
    p.get_by_role("button", name="Apply").click()
    expect(p.locator("#gradebook tbody tr")).to_have_count(1)
    with p.expect_download() as download_info:
        p.locator("#export-csv").click()
    download = download_info.value
    assert re.fullmatch(r"tracedojo-gradebook-\d{8}-\d{4}\.csv", download.suggested_filename)
    exported = Path(download.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(exported, newline="")))
    assert [r["username"] for r in rows] == [learner.username]
    assert rows[0]["echo-once code"] == "5" and rows[0]["echo-once attempts"] == "1"

    # Where learners get stuck in that lesson: a bar per trace row, row 6 stands out.
    p.locator("#gradebook thead a").first.click()
    expect(p.get_by_role("heading", name="Where submissions fail first")).to_be_visible()
    bars = p.locator("#stuck svg.chart g.bar")
    expect(bars).to_have_count(7)
    expect(p.locator('#stuck svg.chart g.bar[data-key="6"]')).to_have_attribute("data-value", "1")
    expect(p.locator('#stuck svg.chart g.bar[data-key="6"]')).to_have_class(re.compile(r"\btrouble\b"))
    expect(p.locator('.stuck-table tr[data-n="6"]')).to_contain_text("Message text is: Hello")
    expect(p.locator("#quiz-analysis svg.chart").first).to_be_visible()
    shoot(p, "22-instructor-stuck-steps")

    # The instructor decides the lesson should expect "is", edits the file and regrades.
    data = exercises_dir / "echo-once" / "exercise.yaml"
    data.write_text(
        data.read_text(encoding="utf-8").replace('"Message text was: {data}"', '"Message text is: {data}"'),
        encoding="utf-8",
    )
    p.get_by_role("button", name=re.compile(r"Regrade all \d+ submissions?")).click()
    expect(p.locator("#regrade-queued")).to_be_visible()
    changed = p.locator(f'#regrades tr.changed[data-submission="{submission_id}"]')
    expect(changed).to_be_visible()  # filled in live once the regrade is graded
    expect(changed.locator(".before")).to_contain_text("Failed")
    expect(changed.locator(".after")).to_contain_text("Passed")
    shoot(p, "23-instructor-regrade")

    changed.get_by_role("link", name=f"#{submission_id}").click()
    expect(p.get_by_role("heading", name=re.compile(f"Submission #{submission_id}"))).to_be_visible()
    expect(p.locator(".codehilite").first).to_contain_text("Message text is")
    expect(p.locator(".earlier[data-regrade]")).to_contain_text("Failed")
    expect(p.locator("#overall-status")).to_have_text("Passed")
    shoot(p, "24-instructor-drill-down")

    p.get_by_role("link", name=f"{learner.username}'s timeline").click()
    expect(p.locator("#timeline li.event")).to_have_count(2)
    shoot(p, "25-instructor-timeline")
