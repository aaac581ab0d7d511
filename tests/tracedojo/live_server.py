"""A real uvicorn serving the platform on a free port, for tests that use real clients over TCP."""

from __future__ import annotations

import gc
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from tracedojo.app import create_app
from tracedojo.settings import Settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running_server(settings: Settings) -> Iterator[str]:
    """Yields the base URL (http://127.0.0.1:PORT). Without a log config of its own, uvicorn's
    records reach the root logger, so a test's ``caplog`` sees "Exception in ASGI application"."""
    port = free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_config=None, log_level="info")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-under-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the platform did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        # uvicorn can leave a transport it was still reading from (a client that went on sending a body
        # the platform had refused with 413) to be collected after its loop closed; that is the test
        # server's shutdown, not the platform's behaviour, so its ResourceWarning is dropped here.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            server.should_exit = True
            thread.join(15)
            gc.collect()
