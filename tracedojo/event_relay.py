"""Live grading events between processes, over Redis.

A worker publishes each event of a submission with one atomic script: append it
to the submission's history list (numbered by its position) and publish it,
numbered, on the submission's channel. The web process that holds a learner's
WebSocket subscribes to the channel first, then reads the history, and relays
each numbered event once, in order. Redis is a convenience, never the record:
the database holds the result, so the relay also looks there when the channel
stays quiet or Redis cannot be reached, and a learner always gets the result.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import redis
import redis.asyncio as aioredis
from sqlalchemy import Engine
from sqlmodel import Session

from tracedojo.grading_job import LiveEvent
from tracedojo.models import Submission, SubmissionPublic, SubmissionStatus

log = logging.getLogger("tracedojo.live")

# KEYS: history list, channel. ARGV: event JSON, seconds the history is kept.
_PUBLISH = """
local n = redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('PUBLISH', KEYS[2], n .. ' ' .. ARGV[1])
return n
"""


def history_key(prefix: str, submission_id: int) -> str:
    return f"{prefix}:live:{submission_id}:history"


def channel_name(prefix: str, submission_id: int) -> str:
    return f"{prefix}:live:{submission_id}"


class RedisEventPublisher:
    """The worker's side (an ``EventSink``): publishing never fails the grading, it only logs."""

    def __init__(self, url: str, *, prefix: str = "tracedojo", history_seconds: int = 3600) -> None:
        self.prefix = prefix
        self.history_seconds = history_seconds
        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._script = self._redis.register_script(_PUBLISH)

    def open(self, submission_id: int) -> None:
        pass

    def publish(self, submission_id: int, event: LiveEvent) -> None:
        keys = [history_key(self.prefix, submission_id), channel_name(self.prefix, submission_id)]
        try:
            self._script(keys=keys, args=[json.dumps(event), self.history_seconds])
        except redis.RedisError as exc:
            log.warning(
                "live event of submission %d not published (%s); the result is in the database", submission_id, exc
            )

    def close(self, submission_id: int) -> None:
        pass


class RedisRelayHub:
    """The web process's side: the same ``subscribe`` as ``LiveHub``, fed from Redis and the database."""

    def __init__(self, url: str, *, engine: Engine, prefix: str = "tracedojo", quiet_check: float = 5.0) -> None:
        self.url = url
        self.engine = engine
        self.prefix = prefix
        self.quiet_check = quiet_check

    @asynccontextmanager
    async def subscribe(self, submission_id: int) -> AsyncIterator[asyncio.Queue[LiveEvent] | None]:
        """None when the submission is already final (the caller replays it from the database)."""
        if await asyncio.to_thread(self._final, submission_id) is not None:
            yield None
            return
        events: asyncio.Queue[LiveEvent] = asyncio.Queue()
        follower = asyncio.create_task(self._follow(submission_id, events))
        try:
            yield events
        finally:
            follower.cancel()
            try:
                await follower
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise  # we are being cancelled too: do not swallow it

    async def _follow(self, submission_id: int, events: asyncio.Queue[LiveEvent]) -> None:
        last = 0  # the number of the last event relayed
        relayed: dict[int, Any] = {}  # each row as last relayed: the database's copy repeats only a changed row
        while True:
            client = aioredis.Redis.from_url(self.url, socket_connect_timeout=2)
            pubsub = client.pubsub()
            try:
                await pubsub.subscribe(channel_name(self.prefix, submission_id))
                for raw in await client.lrange(history_key(self.prefix, submission_id), last, -1):
                    last += 1
                    if self._relay(json.loads(raw), events, relayed):
                        return
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=self.quiet_check)
                    if message is None:
                        if await self._relay_if_final(submission_id, events, relayed):
                            return
                        continue
                    number, _, payload = bytes(message["data"]).partition(b" ")
                    if int(number) <= last:
                        continue
                    last = int(number)
                    if self._relay(json.loads(payload), events, relayed):
                        return
            except (redis.RedisError, OSError) as exc:
                log.warning(
                    "live events of submission %d: Redis unavailable (%s); watching the database", submission_id, exc
                )
                if await self._relay_if_final(submission_id, events, relayed):
                    return
                await asyncio.sleep(min(self.quiet_check, 2.0))
            finally:
                with suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
                with suppress(Exception):
                    await client.aclose()

    @staticmethod
    def _relay(event: dict[str, Any], events: asyncio.Queue[LiveEvent], relayed: dict[int, Any]) -> bool:
        events.put_nowait(event)
        if event.get("type") == "step":
            relayed[_step_number(event["step"])] = event["step"]
        return event.get("type") == "result"

    async def _relay_if_final(
        self, submission_id: int, events: asyncio.Queue[LiveEvent], relayed: dict[int, Any]
    ) -> bool:
        final = await asyncio.to_thread(self._final, submission_id)
        if final is None:
            return False
        for step in final.steps:
            if relayed.get(_step_number(step)) != step:
                events.put_nowait({"type": "step", "step": step})
        events.put_nowait({"type": "result", "result": final.model_dump(mode="json")})
        return True

    def _final(self, submission_id: int) -> SubmissionPublic | None:
        with Session(self.engine, expire_on_commit=False) as session:
            row = session.get(Submission, submission_id)
            if row is None or not SubmissionStatus(row.status).final:
                return None
            return SubmissionPublic.of(row)


def _step_number(step: Any) -> int:
    return int(step["n"]) if isinstance(step, dict) and "n" in step else -1
