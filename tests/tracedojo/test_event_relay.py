"""The Redis relay of live events, on the real Redis of ``scaleout.REDIS``."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import pytest
import redis.asyncio as aioredis
from scaleout import REDIS

from tracedojo.event_relay import READ_SECONDS, RedisEventPublisher, RedisRelayHub

pytestmark = pytest.mark.services
T = TypeVar("T")


def run_bounded(main: Callable[[], Coroutine[Any, Any, T]], seconds: float) -> T:
    """``asyncio.run(main())`` in a thread of its own, failing (not hanging) if it outlives ``seconds``."""
    outcome: list[T] = []
    thread = threading.Thread(target=lambda: outcome.append(asyncio.run(main())), daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive() or not outcome:
        pytest.fail(f"the relay did not let go within {seconds} s")
    return outcome[0]


async def _leave(hub: RedisRelayHub, submission_id: int, publisher: RedisEventPublisher) -> float:
    """Subscribe, take one event, leave; how long leaving took."""
    async with hub.subscribe(submission_id) as channel:
        assert channel is not None
        await asyncio.to_thread(publisher.publish, submission_id, {"type": "step", "step": _step(1)})
        event = await asyncio.wait_for(channel.get(), 10)
        assert event.model_dump(mode="json")["step"]["n"] == 1
        started = time.monotonic()
    return time.monotonic() - started


def _step(n: int) -> dict[str, Any]:
    return {"n": n, "title": f"step {n}", "status": "passed"}


def test_leaving_ends_the_follower_even_when_redis_swallows_the_cancellation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Some redis-py releases turn a cancellation that lands inside a read into a timeout; model that.
    original = aioredis.client.PubSub.get_message

    async def swallowing(self: aioredis.client.PubSub, *args: Any, **kwargs: Any) -> Any:
        try:
            return await original(self, *args, **kwargs)
        except asyncio.CancelledError:
            return None

    monkeypatch.setattr(aioredis.client.PubSub, "get_message", swallowing)
    prefix = f"test-{uuid.uuid4().hex}"
    hub = RedisRelayHub(REDIS, prefix=prefix, quiet_check=60.0)
    publisher = RedisEventPublisher(REDIS, prefix=prefix)
    publisher.open(7)
    try:
        took = run_bounded(lambda: _leave(hub, 7, publisher), 15)
    finally:
        publisher.close(7)
    assert took < READ_SECONDS + 2.0


def test_leaving_is_prompt_while_events_keep_coming() -> None:
    prefix = f"test-{uuid.uuid4().hex}"
    hub = RedisRelayHub(REDIS, prefix=prefix, quiet_check=60.0)
    publisher = RedisEventPublisher(REDIS, prefix=prefix)

    async def many() -> list[float]:
        return [await _leave(hub, n, publisher) for n in range(1, 11)]

    for n in range(1, 11):
        publisher.open(n)
    try:
        took = run_bounded(many, 60)
    finally:
        for n in range(1, 11):
            publisher.close(n)
    assert max(took) < READ_SECONDS + 2.0, took
