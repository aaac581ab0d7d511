"""Rate limits shared between web processes: two platforms on the same Redis count in one window."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from factories import PASSWORD, make_settings, random_username
from fastapi.testclient import TestClient
from redis import Redis

from tracedojo.app import create_app
from tracedojo.security import RateLimit, RateLimited, rate_limit_storage

REDIS = "redis://127.0.0.1:6379/0"

pytestmark = pytest.mark.services


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    name = f"tracedojo-test-{secrets.token_hex(4)}"
    yield name
    redis = Redis.from_url(REDIS)
    for key in redis.scan_iter(f"*{name}*"):
        redis.delete(key)
    redis.close()


def test_two_app_instances_share_one_limit(tmp_path: Path, prefix: str) -> None:
    def instance(name: str) -> TestClient:
        settings = make_settings(
            tmp_path / name, rate_limits_url=REDIS, events_prefix=prefix, registrations_per_minute=3
        )
        return TestClient(create_app(settings))

    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    with instance("one") as one, instance("two") as two:
        for client in (one, two, one):
            body = {"username": random_username(), "password": PASSWORD}
            assert client.post("/api/auth/register", json=body).status_code == 201
        refused = two.post("/api/auth/register", json={"username": random_username(), "password": PASSWORD})
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.json()["detail"].startswith("too many registrations; try again in")


def test_an_unreachable_redis_lets_requests_through(caplog: pytest.LogCaptureFixture) -> None:
    limit = RateLimit("attempts", limit=1, storage=rate_limit_storage("redis://127.0.0.1:1/0"))
    limit.hit("a")
    limit.hit("a")  # not counted: the limit cannot be checked, so nobody is locked out
    assert "rate limit 'attempts' not checked" in caplog.text


def test_without_redis_each_process_counts_alone() -> None:
    limit = RateLimit("attempts", limit=1, storage=rate_limit_storage(None))
    limit.hit("a")
    with pytest.raises(RateLimited):
        limit.hit("a")
