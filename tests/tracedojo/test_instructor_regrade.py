"""Regrading after an exercise file changes: verdicts change, earlier results are kept and shown."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from factories import bearer, create_learner, editable_exercises, make_settings, wait_for_result
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from test_pages import csrf_of, sign_in
from typer.testing import CliRunner

from tracedojo.app import create_app
from tracedojo.cli_platform import register
from tracedojo.models import Role, SubmissionResult
from tracedojo.platform_state import Platform

SAYS_IS = """from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    await websocket.send_text(f"Message text is: {data}")
"""
OLD_REPLY = '- expect_text: "Message text was: {data}"'
NEW_REPLY = '- expect_text: "Message text is: {data}"'


@pytest.fixture
def exercises_dir(tmp_path: Path) -> Iterator[Path]:
    with editable_exercises(tmp_path) as root:
        yield root


@pytest.fixture
def platform_client(tmp_path: Path, exercises_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(tmp_path, exercises_dir=exercises_dir))) as test_client:
        yield test_client


def _change_expected_reply(exercises_dir: Path) -> None:
    data = exercises_dir / "echo-once" / "exercise.yaml"
    text = data.read_text(encoding="utf-8")
    assert text.count(OLD_REPLY) == 1
    data.write_text(text.replace(OLD_REPLY, NEW_REPLY), encoding="utf-8")


def _wait_regraded(client: TestClient, headers: dict[str, str], regrade_id: int) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + 60
    while True:
        reports = client.get("/api/instructor/exercises/echo-once/regrades", headers=headers).json()
        report = next(r for r in reports if r["id"] == regrade_id)
        if report["pending"] == 0:
            return report  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, "the regrade did not finish"
        time.sleep(0.05)


def test_a_changed_exercise_changes_verdicts_and_the_earlier_results_are_kept(
    platform_client: TestClient, exercises_dir: Path
) -> None:
    client = platform_client
    platform: Platform = client.app.state.platform  # type: ignore[attr-defined]
    with Session(platform.engine, expire_on_commit=False) as session:
        ada, bob = create_learner(session), create_learner(session)
        teacher = create_learner(session, role=Role.INSTRUCTOR)
    exercise = platform.catalog.get("echo-once")
    assert exercise is not None
    old_version = exercise.version
    ada_h, bob_h, teacher_h = bearer(client, ada), bearer(client, bob), bearer(client, teacher)

    def submit(headers: dict[str, str], code: str) -> dict:  # type: ignore[type-arg]
        queued = client.post("/api/exercises/echo-once/submissions", json={"code": code}, headers=headers)
        return wait_for_result(client, queued.json()["id"], headers)

    right = submit(ada_h, exercise.source(exercise.reference))
    says_is = submit(bob_h, SAYS_IS)
    assert right["status"] == "passed" and says_is["status"] == "failed"

    _change_expected_reply(exercises_dir)  # the instructor fixes (here: changes) the lesson's step 6
    queued = client.post("/api/instructor/exercises/echo-once/regrade", headers=teacher_h)
    assert queued.status_code == 202
    body = queued.json()
    assert body["queued"] == 2 and body["previous_version"] == old_version and body["version"] != old_version
    report = _wait_regraded(client, teacher_h, body["id"])

    assert report["changed"] == 2 and report["exercise_version"] == body["version"]
    changes = {c["submission_id"]: c for c in report["changes"]}
    assert changes[right["id"]]["before"]["status"] == "passed"
    assert changes[right["id"]]["after"]["status"] == "failed" and changes[right["id"]]["after"]["failed_at"] == 6
    assert changes[says_is["id"]]["before"]["failed_at"] == 6
    assert changes[says_is["id"]]["after"]["status"] == "passed" and changes[says_is["id"]]["changed"]
    assert changes[says_is["id"]]["before"]["exercise_version"] == old_version

    regraded = client.get(f"/api/submissions/{says_is['id']}", headers=bob_h).json()
    assert regraded["status"] == "passed" and regraded["exercise_version"] == body["version"]
    detail = client.get(f"/api/instructor/submissions/{says_is['id']}", headers=teacher_h).json()
    assert [e["status"] for e in detail["earlier_results"]] == ["failed"]
    assert detail["earlier_results"][0]["steps"] == says_is["steps"]  # the whole earlier result, kept
    assert platform.catalog.get("echo-once").version == body["version"]  # type: ignore[union-attr]

    # The dashboard shows what changed: on the exercise page and on the submission's page.
    browser = TestClient(client.app)
    sign_in(browser, teacher)
    page = browser.get("/instructor/exercises/echo-once")
    assert f'data-regrade="{body["id"]}"' in page.text and "2 changed" in page.text
    assert page.text.count('<tr class="changed"') == 2
    drill = browser.get(f"/instructor/submissions/{says_is['id']}").text
    assert "Earlier results" in drill and f"replaced by regrade #{body['id']}" in drill
    assert "Before regrade" in drill and "changed" in drill

    # From the page's form as well: redirected to the exercise page with the regrade's banner.
    again = browser.post(
        "/instructor/exercises/echo-once/regrade", data={"csrf_token": csrf_of(page)}, follow_redirects=False
    )
    assert again.status_code == 303
    assert again.headers["location"].startswith("/instructor/exercises/echo-once?regraded=")
    second = int(again.headers["location"].split("regraded=")[1].split("#")[0])
    assert "queued for regrading" in browser.get(again.headers["location"]).text
    report = _wait_regraded(client, teacher_h, second)
    assert report["changed"] == 0 and report["submissions"] == 2  # same file: nothing changes
    with Session(platform.engine) as session:
        kept = session.exec(select(SubmissionResult).where(SubmissionResult.submission_id == says_is["id"])).all()
    assert [k.status for k in kept] == ["failed", "passed"]
    # The first regrade's "after" is now the result the second regrade kept, not the current one.
    first = next(
        r
        for r in client.get("/api/instructor/exercises/echo-once/regrades", headers=teacher_h).json()
        if r["id"] == body["id"]
    )
    assert first["changed"] == 2


def test_a_broken_exercise_file_regrades_nothing(platform_client: TestClient, exercises_dir: Path) -> None:
    client = platform_client
    platform: Platform = client.app.state.platform  # type: ignore[attr-defined]
    with Session(platform.engine, expire_on_commit=False) as session:
        teacher = create_learner(session, role=Role.INSTRUCTOR)
    (exercises_dir / "echo-once" / "exercise.yaml").write_text("slug: echo-once\ntitle: [unclosed\n", encoding="utf-8")
    refused = client.post("/api/instructor/exercises/echo-once/regrade", headers=bearer(client, teacher))
    assert refused.status_code == 422
    assert "exercise.yaml" in refused.json()["detail"] and "nothing was regraded" in refused.json()["detail"]
    assert platform.catalog.get("echo-once") is not None  # the last good version keeps being served


def test_cli_regrade_lists_the_verdicts_that_changed(
    tmp_path: Path, exercises_dir: Path, platform_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = platform_client
    platform: Platform = client.app.state.platform  # type: ignore[attr-defined]
    with Session(platform.engine, expire_on_commit=False) as session:
        bob = create_learner(session)
    headers = bearer(client, bob)
    queued = client.post("/api/exercises/echo-once/submissions", json={"code": SAYS_IS}, headers=headers)
    wait_for_result(client, queued.json()["id"], headers)
    _change_expected_reply(exercises_dir)
    settings = platform.settings
    monkeypatch.setenv("TRACEDOJO_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("TRACEDOJO_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("TRACEDOJO_EXERCISES_DIR", str(exercises_dir))
    cli = typer.Typer()
    register(cli)
    result = CliRunner().invoke(cli, ["regrade", "echo-once"])
    assert result.exit_code == 0, result.output
    assert "regraded 1 submission(s) of echo-once" in result.output and "1 passed" in result.output
    assert "1 verdict(s) changed; the earlier results are kept" in result.output
    assert f"#{queued.json()['id']} {bob.username}: failed 5/7 at step 6 -> passed 7/7" in result.output


def test_no_regrade_where_grading_is_unavailable(platform_client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    client = platform_client
    platform: Platform = client.app.state.platform  # type: ignore[attr-defined]
    with Session(platform.engine, expire_on_commit=False) as session:
        teacher = create_learner(session, role=Role.INSTRUCTOR)
    headers = bearer(client, teacher)
    monkeypatch.setattr(type(platform.queue), "unavailable", property(lambda _: "no user namespaces"))
    refused = client.post("/api/instructor/exercises/echo-once/regrade", headers=headers)
    assert refused.status_code == 503 and "no user namespaces" in refused.json()["detail"]
    monkeypatch.undo()
    assert client.get("/api/instructor/exercises/echo-once/regrades", headers=headers).json() == []
