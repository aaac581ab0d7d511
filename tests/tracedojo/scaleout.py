"""Helpers of the scale-out tests: a throwaway PostgreSQL database, a private Redis, and real
``tracedojo worker`` / ``tracedojo serve`` subprocesses, each killed (with its whole process
group) when the test ends."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx2
from sqlalchemy import create_engine, text

from tracedojo.settings import PROJECT_ROOT

POSTGRES = os.environ.get("TRACEDOJO_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
REDIS = os.environ.get("TRACEDOJO_TEST_REDIS", "redis://127.0.0.1:6379/0")
RABBITMQ = os.environ.get("TRACEDOJO_TEST_RABBITMQ", "amqp://guest:guest@127.0.0.1:5672//")
TRACEDOJO = str(Path(sys.executable).with_name("tracedojo"))


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh database on the machine's PostgreSQL, dropped afterwards."""
    name = f"tracedojo_test_{secrets.token_hex(4)}"
    admin = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{POSTGRES}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(condition: Callable[[], object], *, timeout: float, what: str, every: float = 0.05) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"{what}: not within {timeout} s")


class RedisServer:
    """A private redis-server on its own port, which a test may stop and start again."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_until(self._answers, timeout=10, what="redis-server answering")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")
        except OSError:
            return False


class Processes:
    """Subprocesses started by one test; every one is killed with its process group at the end."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[subprocess.Popen[bytes]] = []

    def spawn(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [TRACEDOJO, *args],
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=PROJECT_ROOT,
            start_new_session=True,
        )
        log.close()
        self.started.append(process)
        return process

    def log_of(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def worker(self, name: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
        process = self.spawn(name, ["worker"], env)
        wait_until(
            lambda: "ready." in self.log_of(name) or process.poll() is not None, timeout=30, what=f"worker {name} ready"
        )
        assert process.poll() is None, self.log_of(name)
        return process

    def web(self, name: str, env: dict[str, str]) -> str:
        port = free_port()
        process = self.spawn(name, ["serve", "--port", str(port)], env)
        base = f"http://127.0.0.1:{port}"

        def answers() -> bool:
            assert process.poll() is None, self.log_of(name)
            try:
                return httpx2.get(f"{base}/static/app.css", timeout=1).status_code == 200
            except httpx2.HTTPError:
                return False

        wait_until(answers, timeout=30, what=f"web {name} answering", every=0.1)
        return base

    def kill_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        self.started.clear()


def stack_env(*, database_url: str, broker_url: str, events_url: str | None, secret: str) -> dict[str, str]:
    """The settings of one deployment; its own broker queue and event prefix keep concurrent runs apart."""
    tag = secrets.token_hex(4)
    env = {
        "TRACEDOJO_ENV": "development",
        "TRACEDOJO_SECRET_KEY": secret,
        "TRACEDOJO_DATABASE_URL": database_url,
        "TRACEDOJO_QUEUE": "celery",
        "TRACEDOJO_BROKER_URL": broker_url,
        "TRACEDOJO_CELERY_QUEUE": f"tracedojo-test-{tag}",
        "TRACEDOJO_EVENTS_PREFIX": f"tracedojo-test-{tag}",
        "TRACEDOJO_EXERCISES_DIR": str(PROJECT_ROOT / "exercises"),
        "TRACEDOJO_SUBMISSIONS_PER_MINUTE": "1000",
        "TRACEDOJO_REGISTRATIONS_PER_MINUTE": "1000",
        "TRACEDOJO_LOGIN_ATTEMPTS_PER_MINUTE": "1000",
        "TRACEDOJO_SWEEP_INTERVAL": "1",
        "TRACEDOJO_REQUEUE_AFTER": "3",
    }
    if events_url:
        env["TRACEDOJO_EVENTS_URL"] = events_url
    return env
