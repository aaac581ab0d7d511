"""``WS /api/submissions/{id}/live`` through a real uvicorn, with the `websockets` client over TCP.

The TestClient skips the server's handshake and connection handling; these are what a real
client meets: close codes and reasons, a refused cookie from another site, ids that are not ids,
and clients that leave early without the server logging an error.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Iterator

import httpx2 as httpx
import pytest
from factories import EXERCISES, PASSWORD, make_settings, random_username
from live_server import running_server
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from grader import find_exercise

SOLUTION = find_exercise("echo-once", EXERCISES)
CORRECT = SOLUTION.source(SOLUTION.reference)
# A slow import keeps the submission grading (or queued behind it) for a while.
SLOW = "import time\ntime.sleep(1.5)\n" + CORRECT


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = make_settings(tmp_path_factory.mktemp("real-clients"), grading_workers=1, live_quiet_check=0.5)
    with running_server(settings) as url:
        yield url


@pytest.fixture
def new_learner(base_url: str) -> Iterator[Callable[[], Learner]]:
    made: list[Learner] = []

    def make() -> Learner:
        made.append(Learner(base_url))
        return made[-1]

    yield make
    for learner in made:
        learner.http.close()


def ws_url(base_url: str, path: str) -> str:
    return "ws" + base_url.removeprefix("http") + path


class Learner:
    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        self.username = random_username()
        registered = self.http.post("/api/auth/register", json={"username": self.username, "password": PASSWORD})
        assert registered.status_code == 201, registered.text
        token = self.http.post("/api/auth/token", data={"username": self.username, "password": PASSWORD})
        self.token: str = token.json()["access_token"]
        self.headers = {"Authorization": f"Bearer {self.token}"}

    def submit(self, code: str) -> int:
        response = self.http.post("/api/exercises/echo-once/submissions", json={"code": code}, headers=self.headers)
        assert response.status_code == 202, response.text
        submission_id: int = response.json()["id"]
        return submission_id

    def wait_until_final(self, submission_id: int, timeout: float = 60) -> dict[str, object]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            body: dict[str, object] = self.http.get(f"/api/submissions/{submission_id}", headers=self.headers).json()
            if body["status"] not in ("queued", "running"):
                return body
            time.sleep(0.05)
        raise AssertionError(f"submission {submission_id} was not graded within {timeout} s")


async def follow(url: str, **options: object) -> tuple[list[dict[str, object]], int | None, str]:
    """Every message until the server closes, then its close code and reason."""
    messages: list[dict[str, object]] = []
    async with connect(url, open_timeout=10, **options) as websocket:  # type: ignore[arg-type]
        try:
            while True:
                messages.append(json.loads(await asyncio.wait_for(websocket.recv(), 30)))
        except ConnectionClosed as closed:
            assert closed.rcvd is not None, "the server dropped the connection without a close frame"
            return messages, closed.rcvd.code, closed.rcvd.reason


def no_server_errors(caplog: pytest.LogCaptureFixture) -> None:
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, f"the server logged errors: {errors}"


def test_token_streams_every_step_then_the_result_and_closes_normally(
    base_url: str, new_learner: Callable[[], Learner], caplog: pytest.LogCaptureFixture
) -> None:
    learner = new_learner()
    submission_id = learner.submit(SLOW)
    messages, code, _ = asyncio.run(
        follow(ws_url(base_url, f"/api/submissions/{submission_id}/live?token={learner.token}"))
    )
    assert [m["type"] for m in messages] == ["step"] * 7 + ["result"]
    assert messages[-1]["result"]["status"] == "passed"  # type: ignore[index]
    assert code == 1000
    no_server_errors(caplog)


def test_a_finished_submission_still_gets_its_steps_and_final_result(
    base_url: str, new_learner: Callable[[], Learner]
) -> None:
    learner = new_learner()
    submission_id = learner.submit(CORRECT)
    stored = learner.wait_until_final(submission_id)
    url = ws_url(base_url, f"/api/submissions/{submission_id}/live")
    messages, code, _ = asyncio.run(follow(url, additional_headers=learner.headers))
    assert [m["type"] for m in messages] == ["step"] * 7 + ["result"]
    assert messages[-1]["result"] == stored
    assert code == 1000


def test_the_session_cookie_works_from_our_pages_and_not_from_another_site(
    base_url: str, new_learner: Callable[[], Learner]
) -> None:
    learner = new_learner()
    with httpx.Client(base_url=base_url) as browser:
        csrf = browser.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
        form = {"username": learner.username, "password": PASSWORD, "csrf_token": csrf}
        assert browser.post("/login", data=form).status_code == 303
        cookie = "; ".join(f"{name}={value}" for name, value in browser.cookies.items())
    submission_id = learner.submit(CORRECT)
    url = ws_url(base_url, f"/api/submissions/{submission_id}/live")

    ours, code, _ = asyncio.run(follow(url, additional_headers={"Cookie": cookie}, origin=base_url))
    assert ours[-1]["type"] == "result" and code == 1000

    theirs, code, reason = asyncio.run(follow(url, additional_headers={"Cookie": cookie}, origin="http://evil.example"))
    assert theirs == [] and code == 4401
    assert "cookie" in reason


@pytest.mark.parametrize(
    ("token", "expected_code", "reason_part"),
    [
        ("", 4401, "not signed in"),
        ("garbage", 4401, "?token="),
        ("other", 4404, "no submission"),
    ],
)
def test_strangers_get_a_close_code_and_a_reason(
    base_url: str, new_learner: Callable[[], Learner], token: str, expected_code: int, reason_part: str
) -> None:
    submission_id = new_learner().submit(CORRECT)
    if token == "other":
        token = new_learner().token
    query = f"?token={token}" if token else ""
    messages, code, reason = asyncio.run(follow(ws_url(base_url, f"/api/submissions/{submission_id}/live{query}")))
    assert messages == []
    assert code == expected_code and reason_part in reason


@pytest.mark.parametrize(
    ("raw_id", "expected_code", "reason_part"),
    [
        ("999999", 4404, "no submission 999999"),
        ("0", 4422, "submission_id: Input should be greater than or equal to 1"),
        ("-1", 4422, "greater than or equal to 1"),
        ("99999999999999999999999", 4422, "less than or equal to"),
        ("abc", 4422, "valid integer"),
    ],
)
def test_ids_that_do_not_exist_or_are_not_ids_are_closed_with_a_reason(
    base_url: str, new_learner: Callable[[], Learner], raw_id: str, expected_code: int, reason_part: str
) -> None:
    learner = new_learner()
    url = ws_url(base_url, f"/api/submissions/{raw_id}/live?token={learner.token}")
    messages, code, reason = asyncio.run(follow(url))
    assert messages == []
    assert code == expected_code and reason_part in reason
    assert len(reason.encode()) <= 123


def test_clients_leaving_early_cost_no_server_errors_and_grading_goes_on(
    base_url: str, new_learner: Callable[[], Learner], caplog: pytest.LogCaptureFixture
) -> None:
    learner = new_learner()
    busy = learner.submit(SLOW)  # one grading worker: the next two wait in the queue behind it
    queued, left_mid_stream = learner.submit(SLOW), learner.submit(CORRECT)

    async def leave_early() -> None:
        async with connect(ws_url(base_url, f"/api/submissions/{queued}/live?token={learner.token}")):
            pass  # leaves while its submission is still queued
        async with connect(ws_url(base_url, f"/api/submissions/{left_mid_stream}/live?token={learner.token}")) as ws:
            await ws.send("anything a client sends is ignored")
            await asyncio.wait_for(ws.recv(), 30)  # the first step, then gone

    asyncio.run(leave_early())
    for submission_id in (busy, queued, left_mid_stream):
        assert learner.wait_until_final(submission_id)["status"] == "passed"
    time.sleep(0.6)  # the departed handlers would have written their results by now
    no_server_errors(caplog)
    # And the server still answers a newcomer.
    messages, code, _ = asyncio.run(follow(ws_url(base_url, f"/api/submissions/{queued}/live?token={learner.token}")))
    assert messages[-1]["type"] == "result" and code == 1000


def test_no_answer_is_a_500_to_a_real_http_client(new_learner: Callable[[], Learner]) -> None:
    learner = new_learner()
    http, headers = learner.http, learner.headers
    too_big = b'{"code": "' + b"#" * (2 * 1024 * 1024) + b'"}'
    answers = [
        http.post(
            "/api/exercises/echo-once/submissions",
            content=too_big,
            headers={**headers, "content-type": "application/json"},
        ),
        http.post(
            "/api/exercises/echo-once/submissions",
            content=b'{"code": "x = \'\\ud800\'"}',
            headers={**headers, "content-type": "application/json"},
        ),
        http.post(
            "/api/exercises/echo-once/submissions",
            content=b'{"code": "\xff"}',
            headers={**headers, "content-type": "application/json"},
        ),
    ]
    assert [a.status_code for a in answers] == [413, 422, 400]
    assert "larger than" in answers[0].json()["detail"]
    assert answers[1].json()["message"].startswith("code: ")
    assert "UTF-8" in answers[2].json()["detail"]
    assert http.get("/api/exercises", headers=headers).status_code == 200  # the connection pool is still usable
