"""The grading portal: one event-loop thread shared by every grading TestClient."""

from __future__ import annotations

import threading

import anyio
import pytest

from grader._portal import shared_portal


async def _double(value: int) -> int:
    await anyio.sleep(0)
    return value * 2


async def _fail() -> None:
    raise ValueError("from the loop")


def test_calls_run_on_the_portal_thread_and_return_their_results() -> None:
    portal = shared_portal()
    assert portal is shared_portal()  # one per process

    async def where() -> str:
        return threading.current_thread().name

    assert portal.call(where) == "grader-portal"
    assert [portal.call(_double, n) for n in range(50)] == [n * 2 for n in range(50)]


def test_an_error_in_the_call_reaches_the_caller() -> None:
    with pytest.raises(ValueError, match="from the loop"):
        shared_portal().call(_fail)


def test_calls_from_several_threads_do_not_mix_up_their_results() -> None:
    portal = shared_portal()
    results: dict[int, list[int]] = {}

    def worker(k: int) -> None:
        results[k] = [portal.call(_double, k * 1000 + n) for n in range(30)]

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results == {k: [(k * 1000 + n) * 2 for n in range(30)] for k in range(4)}
