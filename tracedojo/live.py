"""Live grading events: their model, the in-process hub, and the live source a WebSocket reads.

Events go from the grading threads (or, over Redis, from the workers: ``event_relay``) to a hub;
``LiveSource`` reads either hub for one submission and owns the fallback to the database, which
has the last word whenever the channel is quiet or was never there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Protocol

from pydantic import BaseModel, Field, TypeAdapter
from sqlalchemy import Engine
from sqlmodel import Session

from grader.results import StepResult
from tracedojo.models import Submission, SubmissionPublic, SubmissionStatus

log = logging.getLogger("tracedojo.live")


class StepEvent(BaseModel):
    """One trace row, as soon as it is graded."""

    type: Literal["step"] = "step"
    step: StepResult


class ResultEvent(BaseModel):
    """The stored result; always the last event."""

    type: Literal["result"] = "result"
    result: SubmissionPublic


LiveEvent = StepEvent | ResultEvent
_LIVE_EVENT: TypeAdapter[LiveEvent] = TypeAdapter(Annotated[LiveEvent, Field(discriminator="type")])


def live_event(value: Any) -> LiveEvent:
    """An event from its model, its dict, or its JSON text (raises ``pydantic.ValidationError``)."""
    if isinstance(value, str | bytes):
        return _LIVE_EVENT.validate_json(value)
    return _LIVE_EVENT.validate_python(value)


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


class Hub(Protocol):
    """Where a web process hears a submission's events: ``LiveHub`` or ``event_relay.RedisRelayHub``.

    ``subscribe`` gives a queue of its events (those so far first), or None when none will come here.
    """

    def subscribe(self, submission_id: int) -> AbstractAsyncContextManager[asyncio.Queue[LiveEvent] | None]: ...


LIVE_POLL_SECONDS = 0.5


class LiveSource:
    """One submission's events for a live WebSocket, from either hub, ending with its result.

    The database has the last word: it is read first (a final result is replayed at once), whenever the
    channel stays quiet for ``quiet_check`` seconds (the result may have been stored by a grader whose
    events never reach this channel: a lost lease, a second enqueue, Redis down), and every
    ``poll_seconds`` when there is no channel here at all. One rule keeps a step from being sent twice:
    a stored step is sent unless that very row, unchanged, was already sent.
    """

    def __init__(
        self, hub: Hub, engine: Engine, *, quiet_check: float, poll_seconds: float = LIVE_POLL_SECONDS
    ) -> None:
        self.hub = hub
        self.engine = engine
        self.quiet_check = quiet_check
        self.poll_seconds = poll_seconds

    async def events(self, submission_id: int) -> AsyncGenerator[LiveEvent]:
        sent: dict[int, StepResult] = {}
        async with self.hub.subscribe(submission_id) as channel:
            check_database = True
            while True:
                if check_database:
                    row = await asyncio.to_thread(self._load, submission_id)
                    if row is None:
                        return
                    if SubmissionStatus(row.status).final:
                        for event in _stored(row, sent):
                            yield event
                        return
                if channel is None:
                    await asyncio.sleep(self.poll_seconds)
                    continue
                try:
                    raw = await asyncio.wait_for(channel.get(), self.quiet_check)
                except TimeoutError:
                    check_database = True
                    continue
                check_database = False
                try:
                    event = live_event(raw)
                except ValueError:
                    log.warning("submission %d: a malformed live event was dropped", submission_id)
                    continue
                yield event
                if isinstance(event, ResultEvent):
                    return
                sent[event.step.n] = event.step

    def _load(self, submission_id: int) -> Submission | None:
        with Session(self.engine, expire_on_commit=False) as session:
            return session.get(Submission, submission_id)


def _stored(row: Submission, sent: dict[int, StepResult]) -> Iterator[LiveEvent]:
    result = SubmissionPublic.of(row)
    for step in result.steps:
        if sent.get(step.n) != step:
            yield StepEvent(step=step)
    yield ResultEvent(result=result)
