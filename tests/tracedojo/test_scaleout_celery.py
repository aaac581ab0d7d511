"""PostgreSQL + Celery against the machine's real services: real ``tracedojo worker`` and
``tracedojo serve`` subprocesses, a worker killed mid-grade, a broker restart, two web
processes relaying each other's live events."""

from __future__ import annotations

import json
import secrets
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from factories import EXERCISES, PASSWORD, make_settings, random_username
from fastapi.testclient import TestClient
from scaleout import (
    RABBITMQ,
    REDIS,
    Processes,
    RedisServer,
    postgres_database,
    stack_env,
    wait_until,
)
from sqlmodel import Session
from websockets.sync.client import connect

from tracedojo.app import create_app
from tracedojo.db import make_engine
from tracedojo.models import Submission

pytestmark = [pytest.mark.services, pytest.mark.slow]

REFERENCE = (EXERCISES / "echo-once" / "solution.py").read_text()
# Accepts only after a pause: a worker can be killed while this is being graded.
SLOW = REFERENCE.replace(
    "    await websocket.accept()", "    import time\n    time.sleep(1.5)\n    await websocket.accept()"
)


@pytest.fixture
def database_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    started = Processes(tmp_path)
    try:
        yield started
    finally:
        started.kill_all()


def _learner(http: httpx2.Client | TestClient) -> dict[str, str]:
    name = random_username()
    assert http.post("/api/auth/register", json={"username": name, "password": PASSWORD}).status_code == 201
    token = http.post("/api/auth/token", data={"username": name, "password": PASSWORD}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _submit(http: httpx2.Client | TestClient, headers: dict[str, str], code: str = REFERENCE) -> int:
    response = http.post("/api/exercises/echo-once/submissions", json={"code": code}, headers=headers)
    assert response.status_code == 202, response.text
    return int(response.json()["id"])


def _final(http: httpx2.Client | TestClient, submission_id: int, headers: dict[str, str], timeout: float) -> Any:
    def done() -> Any:
        body = http.get(f"/api/submissions/{submission_id}", headers=headers).json()
        return body if body["status"] not in ("queued", "running") else None

    return wait_until(done, timeout=timeout, what=f"submission {submission_id} graded", every=0.1)


def _row(database_url: str, submission_id: int) -> Submission:
    engine = make_engine(database_url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            row = session.get(Submission, submission_id)
            assert row is not None
            return row
    finally:
        engine.dispose()


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_submit_to_result_through_celery(broker: str, database_url: str, processes: Processes, tmp_path: Path) -> None:
    env = stack_env(
        database_url=database_url,
        broker_url=REDIS if broker == "redis" else RABBITMQ,
        events_url=REDIS,
        secret=secrets.token_urlsafe(32),
    )
    settings = make_settings(tmp_path, **{k.removeprefix("TRACEDOJO_").lower(): v for k, v in env.items()})
    with TestClient(create_app(settings)) as web:
        headers = _learner(web)
        first = _submit(web, headers)  # stored and enqueued before any worker runs: nothing is lost
        processes.worker("worker", env)
        wrong = _submit(web, headers, REFERENCE.replace("Message text was: {data}", "Message text was: Hello"))
        assert _final(web, first, headers, timeout=30)["status"] == "passed"
        body = _final(web, wrong, headers, timeout=30)
    assert body["status"] == "failed" and body["score"] < body["max_score"]
    row = _row(database_url, first)
    assert row.attempts == 1 and row.worker_id is not None and row.lease_until is None
    assert f"broker {'redis' if broker == 'redis' else 'amqp'}://" in processes.log_of("worker")


def test_a_worker_killed_mid_grade_loses_nothing(database_url: str, processes: Processes, tmp_path: Path) -> None:
    env = stack_env(database_url=database_url, broker_url=REDIS, events_url=REDIS, secret=secrets.token_urlsafe(32))
    env |= {"TRACEDOJO_LIMITS__STEP_TIMEOUT": "5", "TRACEDOJO_GRADING_LEASE": "8"}
    settings = make_settings(
        tmp_path,
        **{k.removeprefix("TRACEDOJO_").lower(): v for k, v in env.items() if not k.startswith("TRACEDOJO_LIMITS")},
    )
    with TestClient(create_app(settings)) as web:
        headers = _learner(web)
        doomed = processes.worker("doomed", env)
        submission_id = _submit(web, headers, SLOW)
        wait_until(lambda: _row(database_url, submission_id).status == "running", timeout=20, what="grading started")
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(10)
        assert _row(database_url, submission_id).status == "running"
        rescuer = processes.worker("rescuer", env)
        body = _final(web, submission_id, headers, timeout=60)
    assert body["status"] == "passed", body
    row = _row(database_url, submission_id)
    assert row.attempts == 2  # the killed attempt, then the one whose result stands
    assert row.worker_id is not None and row.worker_id.endswith(f":{rescuer.pid}")
    assert "stale submission" in processes.log_of("rescuer") or "Retry" in processes.log_of("rescuer")


def test_a_broker_restart_loses_nothing(database_url: str, processes: Processes, tmp_path: Path) -> None:
    redis = RedisServer(tmp_path)
    redis.start()
    try:
        env = stack_env(
            database_url=database_url, broker_url=redis.url, events_url=redis.url, secret=secrets.token_urlsafe(32)
        )
        settings = make_settings(tmp_path, **{k.removeprefix("TRACEDOJO_").lower(): v for k, v in env.items()})
        with TestClient(create_app(settings)) as web:
            headers = _learner(web)
            processes.worker("worker", env)
            assert _final(web, _submit(web, headers), headers, timeout=30)["status"] == "passed"
            # Restart once the worker has acknowledged that message: a broker lost in the instant of an
            # acknowledgement leaves Celery 5's Redis consumer deaf until the worker restarts (an upstream
            # bug, celery/celery#8030 and #10205; the README's scale-out section says so).
            wait_until(lambda: "succeeded in" in processes.log_of("worker"), timeout=30, what="the task finished")
            time.sleep(1.0)
            assert "Couldn't ack" not in processes.log_of("worker")
            redis.stop()
            while_down = _submit(web, headers)  # stored; the broker cannot take it
            assert web.get(f"/api/submissions/{while_down}", headers=headers).json()["status"] == "queued"
            redis.start()  # empty: whatever it held is gone
            after = _submit(web, headers)
            # The worker reconnects with Celery's growing back-off (2 s, 4 s, ...): generous on a loaded machine.
            assert _final(web, after, headers, timeout=90)["status"] == "passed"
            assert _final(web, while_down, headers, timeout=90)["status"] == "passed"
    finally:
        redis.stop()


def test_two_web_processes_relay_live_events_for_each_other(database_url: str, processes: Processes) -> None:
    env = stack_env(database_url=database_url, broker_url=REDIS, events_url=REDIS, secret=secrets.token_urlsafe(32))
    env["TRACEDOJO_LIVE_QUIET_CHECK"] = "60"  # the database is not asked in time: the events must come over Redis
    web_a = processes.web("web-a", env)
    web_b = processes.web("web-b", env)
    with httpx2.Client(base_url=web_a) as a:
        headers = _learner(a)
        submission_id = _submit(a, headers)
    token = headers["Authorization"].removeprefix("Bearer ")
    url = web_b.replace("http://", "ws://") + f"/api/submissions/{submission_id}/live?token={token}"
    with connect(url, open_timeout=10) as live:
        processes.worker("worker", env)  # grading starts only once web B is listening
        events = []
        while not events or events[-1]["type"] != "result":
            events.append(json.loads(live.recv(timeout=30)))
    steps = [e["step"] for e in events if e["type"] == "step"]
    assert [s["n"] for s in steps][:7] == [1, 2, 3, 4, 5, 6, 7]
    assert all(s["status"] == "passed" for s in steps)
    assert events[-1]["result"]["status"] == "passed" and events[-1]["result"]["id"] == submission_id
