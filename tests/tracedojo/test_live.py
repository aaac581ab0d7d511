from __future__ import annotations

import asyncio
import threading

from tracedojo.live import LiveHub


def test_subscribers_get_the_history_then_new_events_from_other_threads() -> None:
    hub = LiveHub()
    hub.open(1)
    hub.publish(1, {"type": "step", "n": 1})

    async def follow() -> list[dict[str, object]]:
        async with hub.subscribe(1) as events:
            assert events is not None
            publisher = threading.Thread(
                target=lambda: [hub.publish(1, {"type": "step", "n": 2}), hub.publish(1, {"type": "result"})]
            )
            publisher.start()
            received = [await asyncio.wait_for(events.get(), 5) for _ in range(3)]
            publisher.join()
            return received

    assert asyncio.run(follow()) == [{"type": "step", "n": 1}, {"type": "step", "n": 2}, {"type": "result"}]


def test_no_channel_means_not_graded_here() -> None:
    hub = LiveHub()

    async def follow() -> object:
        async with hub.subscribe(5) as events:
            return events

    assert asyncio.run(follow()) is None
    hub.publish(5, {"type": "step"})  # ignored, nobody listens
    hub.open(5)
    assert hub.is_open(5)
    hub.close(5)
    assert not hub.is_open(5)


def test_a_closed_subscriber_loop_does_not_break_publishing() -> None:
    hub = LiveHub()
    hub.open(1)

    async def subscribe_and_leave_open() -> None:
        context = hub.subscribe(1)
        await context.__aenter__()  # never exits: its loop closes underneath it

    asyncio.run(subscribe_and_leave_open())
    hub.publish(1, {"type": "step"})
