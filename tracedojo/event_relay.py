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
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import redis
import redis.asyncio as aioredis

from tracedojo.live import LiveEvent, live_event

log = logging.getLogger("tracedojo.live")
# How long one read of the channel waits: a follower asked to stop notices within this, whatever the read
# did with the cancellation.
READ_SECONDS = 1.0

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
            self._script(keys=keys, args=[live_event(event).model_dump_json(), self.history_seconds])
        except redis.RedisError as exc:
            log.warning(
                "live event of submission %d not published (%s); the result is in the database", submission_id, exc
            )

    def close(self, submission_id: int) -> None:
        pass


class RedisRelayHub:
    """The web process's side: the same ``subscribe`` as ``LiveHub``, fed from Redis.

    Each numbered event is relayed once, in order, across reconnections. Whatever Redis does not bring,
    ``live.LiveSource`` finds in the database.
    """

    def __init__(self, url: str, *, prefix: str = "tracedojo", quiet_check: float = 5.0) -> None:
        self.url = url
        self.prefix = prefix
        self.quiet_check = quiet_check  # seconds between looks at a quiet channel, and before reconnecting

    @asynccontextmanager
    async def subscribe(self, submission_id: int) -> AsyncIterator[asyncio.Queue[LiveEvent] | None]:
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
        me = asyncio.current_task()
        last = 0  # the number of the last event relayed
        while True:
            client = aioredis.Redis.from_url(self.url, socket_connect_timeout=2)
            pubsub = client.pubsub()
            try:
                await pubsub.subscribe(channel_name(self.prefix, submission_id))
                for raw in await client.lrange(history_key(self.prefix, submission_id), last, -1):
                    last += 1
                    self._relay(submission_id, raw, events)
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=READ_SECONDS)
                    if me is not None and me.cancelling():
                        # redis-py can swallow a cancellation that lands inside its read (the read then
                        # ends as a timeout): without this the follower, and the live WebSocket waiting
                        # for it to stop, would run on forever after the result.
                        raise asyncio.CancelledError
                    if message is None:
                        continue
                    number, _, payload = bytes(message["data"]).partition(b" ")
                    if int(number) <= last:
                        continue
                    last = int(number)
                    self._relay(submission_id, payload, events)
            except (redis.RedisError, OSError) as exc:
                log.warning(
                    "live events of submission %d: Redis unavailable (%s); the database has the result",
                    submission_id,
                    exc,
                )
                await asyncio.sleep(min(self.quiet_check, 2.0))
            finally:
                with suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
                with suppress(Exception):
                    await client.aclose()

    @staticmethod
    def _relay(submission_id: int, raw: bytes | str, events: asyncio.Queue[LiveEvent]) -> None:
        try:
            events.put_nowait(live_event(raw))
        except ValueError:
            log.warning("submission %d: a malformed live event from Redis was dropped", submission_id)
