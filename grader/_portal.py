"""One long-lived event-loop thread that every grading TestClient shares.

Starlette's TestClient starts a thread and event loop per client (or per
connection) unless it is given a portal; starting one per submission costs
about a millisecond. This portal lives in a daemon thread for the life of the
process, so it never holds up interpreter exit.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from typing import Any

import anyio
from anyio.from_thread import BlockingPortal

_lock = threading.Lock()
_portal: BlockingPortal | None = None


class _GradingPortal(BlockingPortal):
    """A portal whose calls from the grading thread do not wait for their task to be spawned.

    anyio's portal hands each call to the event loop and blocks until the loop has spawned the task,
    then blocks again for its result: two thread switches per TestClient send or receive where one
    will do. Here the spawn is only scheduled; the caller still waits for the result, and an error
    in spawning reaches it through the same future.
    """

    def _spawn_task_from_thread(self, func: Any, args: Any, kwargs: Any, name: object, future: Future[Any]) -> None:
        def spawn() -> None:
            try:
                self._task_group.start_soon(self._call_func, func, args, kwargs, future, name=name)
            except BaseException as exc:
                if future.set_running_or_notify_cancel():
                    future.set_exception(exc)

        self._token.backend_class.run_sync_soon(spawn, (), self._token.native_token)


def shared_portal() -> BlockingPortal:
    global _portal
    with _lock:
        if _portal is None:
            ready: queue.Queue[BlockingPortal] = queue.Queue()

            async def serve() -> None:
                async with _GradingPortal() as portal:
                    ready.put(portal)
                    await portal.sleep_until_stopped()

            threading.Thread(target=anyio.run, args=(serve,), name="grader-portal", daemon=True).start()
            _portal = ready.get()
        return _portal
