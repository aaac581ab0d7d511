"""A deadline burst that is truly simultaneous: learners as asyncio clients on one loop each POST a submission
at the same instant and open its live WebSocket at once, against a real uvicorn (``live_server``).

No answer may be a 500 or a pool timeout, and every submission must reach its result. On SQLite the
platform's pool is made as small as it goes (2 connections, no overflow): a request or WebSocket that held
a connection while waiting for a thread, or a pool that could run dry, fails here.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import httpx2
import pytest
from factories import EXERCISES, PASSWORD, create_learner, make_settings
from fastapi.testclient import TestClient
from live_server import running_server
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session
from websockets.asyncio.client import connect

from tracedojo.app import create_app
from tracedojo.db import make_engine, migrate

LEARNERS = 60  # enough to need more threads than the server has: 20 passed even before the fix


async def _learner(http: httpx2.AsyncClient, base: str, token: str, code: str, gate: asyncio.Event) -> tuple[int, str]:
    """(HTTP status of the POST, the final status on the live WebSocket or why there was none)."""
    await gate.wait()
    response = await http.post(
        "/api/exercises/echo-once/submissions", json={"code": code}, headers={"Authorization": f"Bearer {token}"}
    )
    if response.status_code != 202:
        return response.status_code, response.text
    url = base.replace("http://", "ws://") + f"/api/submissions/{response.json()['id']}/live?token={token}"
    async with asyncio.timeout(90), connect(url, open_timeout=60) as live:
        async for message in live:
            event = json.loads(message)
            if event["type"] == "result":
                return response.status_code, str(event["result"]["status"])
    return response.status_code, "the WebSocket closed without a result"


async def _burst(base: str, tokens: list[str], code: str) -> list[tuple[int, str]]:
    gate = asyncio.Event()
    limits = httpx2.Limits(max_connections=None, max_keepalive_connections=None)
    async with httpx2.AsyncClient(base_url=base, timeout=90, limits=limits) as http:
        tasks = [
            asyncio.create_task(_learner(http, base, t, f"{code}\n# learner {n}\n", gate)) for n, t in enumerate(tokens)
        ]
        await asyncio.sleep(0.1)
        gate.set()
        return list(await asyncio.gather(*tasks))


async def _tokens(base: str, usernames: list[str]) -> list[str]:
    """Every learner signs in at the same instant too."""
    async with httpx2.AsyncClient(base_url=base, timeout=90) as http:
        responses = await asyncio.gather(
            *(http.post("/api/auth/token", data={"username": name, "password": PASSWORD}) for name in usernames)
        )
    assert [r.status_code for r in responses] == [200] * len(usernames), [r.text for r in responses]
    return [r.json()["access_token"] for r in responses]


def test_a_simultaneous_burst_gives_no_error_and_grades_every_submission(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(tmp_path)
    if settings.is_sqlite:
        settings = settings.model_copy(update={"database_pool_size": 2, "database_max_overflow": 0})
    engine = make_engine(settings.database_url)
    migrate(engine)
    with Session(engine) as session:
        usernames = [create_learner(session).username for _ in range(LEARNERS)]
    engine.dispose()
    code = (EXERCISES / "echo-once" / "solution.py").read_text()
    with caplog.at_level(logging.ERROR), running_server(settings) as base:
        tokens = asyncio.run(_tokens(base, usernames))
        outcomes = asyncio.run(_burst(base, tokens, code))
    assert outcomes == [(202, "passed")] * LEARNERS
    assert "Exception in ASGI application" not in caplog.text
    assert "QueuePool limit" not in caplog.text


def test_a_pool_that_stays_exhausted_answers_503_with_retry_after(tmp_path: Path) -> None:
    """Only when every connection stayed busy for the pool's whole timeout; never a 500."""
    app = create_app(make_settings(tmp_path))

    @app.get("/api/test-only/pool-exhausted")
    @app.get("/test-only/pool-exhausted")
    def exhausted() -> None:
        raise PoolTimeout("QueuePool limit of size 10 overflow 30 reached, connection timed out, timeout 30.00")

    with TestClient(app) as client:
        response = client.get("/api/test-only/pool-exhausted")
        assert response.status_code == 503
        assert response.headers["retry-after"] == "2"
        assert response.json() == {"detail": "The server is busy; try again in a few seconds."}
        page = client.get("/test-only/pool-exhausted")
        assert page.status_code == 503 and "The server is busy" in page.text
        assert page.headers["retry-after"] == "2"
