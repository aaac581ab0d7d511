"""Live grading events: from the grading threads to the WebSocket subscribers of one process."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

LiveEvent = dict[str, Any]


@dataclass
class _Subscriber:
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[LiveEvent]


@dataclass
class _Channel:
    history: list[LiveEvent] = field(default_factory=list)
    subscribers: list[_Subscriber] = field(default_factory=list)


class LiveHub:
    """Per submission: the events so far, replayed to each new subscriber, then every new one.

    A channel exists from the moment a submission is queued until its final result
    has been stored and published; a subscriber that finds none reads the database.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._channels: dict[int, _Channel] = {}

    def open(self, submission_id: int) -> None:
        with self._lock:
            self._channels.setdefault(submission_id, _Channel())

    def publish(self, submission_id: int, event: LiveEvent) -> None:
        with self._lock:
            channel = self._channels.get(submission_id)
            if channel is None:
                return
            channel.history.append(event)
            subscribers = list(channel.subscribers)
        for subscriber in subscribers:
            with contextlib.suppress(RuntimeError):  # that subscriber's event loop has closed
                subscriber.loop.call_soon_threadsafe(subscriber.queue.put_nowait, event)

    def close(self, submission_id: int) -> None:
        with self._lock:
            self._channels.pop(submission_id, None)

    def is_open(self, submission_id: int) -> bool:
        with self._lock:
            return submission_id in self._channels

    @asynccontextmanager
    async def subscribe(self, submission_id: int) -> AsyncIterator[asyncio.Queue[LiveEvent] | None]:
        """A queue of this submission's events (history first), or None if it is not being graded here."""
        subscriber = _Subscriber(asyncio.get_running_loop(), asyncio.Queue())
        with self._lock:
            channel = self._channels.get(submission_id)
            if channel is not None:
                for event in channel.history:
                    subscriber.queue.put_nowait(event)
                channel.subscribers.append(subscriber)
        try:
            yield subscriber.queue if channel is not None else None
        finally:
            if channel is not None:
                with self._lock:
                    if subscriber in channel.subscribers:
                        channel.subscribers.remove(subscriber)
