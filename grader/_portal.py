"""One long-lived event-loop thread that every grading TestClient shares.

Starlette's TestClient starts a thread and event loop per client (or per
connection) unless it is given a portal; starting one per submission costs
about a millisecond. This portal lives in a daemon thread for the life of the
process, so it never holds up interpreter exit.
"""

from __future__ import annotations

import queue
import threading

import anyio
from anyio.from_thread import BlockingPortal

_lock = threading.Lock()
_portal: BlockingPortal | None = None


def shared_portal() -> BlockingPortal:
    global _portal
    with _lock:
        if _portal is None:
            ready: queue.Queue[BlockingPortal] = queue.Queue()

            async def serve() -> None:
                async with BlockingPortal() as portal:
                    ready.put(portal)
                    await portal.sleep_until_stopped()

            threading.Thread(target=anyio.run, args=(serve,), name="grader-portal", daemon=True).start()
            _portal = ready.get()
        return _portal
