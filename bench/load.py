"""A deadline burst against the web API: many learners submitting at the same moment.

    .venv/bin/python bench/load.py [--learners N] [--stack inline|celery|both] [--workers 1,2]

For each stack and worker count it starts a real ``tracedojo serve`` (and, for
Celery, that many ``tracedojo worker`` processes) on localhost, registers N
learners, then releases all N submissions at once (each a distinct copy of the
echo-once reference solution). Each learner follows its grading on the live
WebSocket, as the browser does. Reported: accepted submissions per second,
graded submissions per second, p50/p99 time from submitting to the final
result, and errors (a refused submission, a broken WebSocket, a verdict other
than passed, or no result within the time limit).

Stacks: ``inline`` is SQLite with the embedded queue (``--workers`` grading
threads sharing one warm sandbox); ``celery`` is PostgreSQL (a throwaway
database on 127.0.0.1:5432) with Celery on the local Redis (``--workers``
worker processes, one sandbox each) and live events over Redis pub/sub.
Everything started is killed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2
from sqlalchemy import create_engine, text
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parent.parent
TRACEDOJO = str(Path(sys.executable).with_name("tracedojo"))
POSTGRES = os.environ.get("TRACEDOJO_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
REDIS = os.environ.get("TRACEDOJO_BENCH_REDIS", "redis://127.0.0.1:6379/0")
PASSWORD = "deadline burst pw"


@dataclass
class Outcome:
    submitted: float  # perf_counter() times
    accepted: float | None = None
    finished: float | None = None
    error: str | None = None


@dataclass
class Figures:
    stack: str
    workers: int
    learners: int
    accepted_per_s: float
    graded_per_s: float
    p50: float
    p99: float
    errors: int

    def row(self) -> str:
        return (
            f"| {self.stack} | {self.workers} | {self.learners} | {self.accepted_per_s:.0f} | "
            f"{self.graded_per_s:.1f} | {self.p50:.2f} | {self.p99:.2f} | {self.errors} |"
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Services:
    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.processes: list[subprocess.Popen[bytes]] = []

    def spawn(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        with (self.logs / f"{name}.log").open("wb") as log:
            process = subprocess.Popen(
                [TRACEDOJO, *args],
                env={**os.environ, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                start_new_session=True,
            )
        self.processes.append(process)
        return process

    def wait_for_log(self, name: str, needle: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in (self.logs / f"{name}.log").read_text(errors="replace"):
                return
            if process.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"{name} did not start; see {self.logs / f'{name}.log'}")

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                    process.wait(10)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(10)


@contextmanager
def _postgres_database() -> Iterator[str]:
    name = f"tracedojo_bench_{secrets.token_hex(4)}"
    admin = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{POSTGRES}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def _stack(stack: str, workers: int, directory: Path) -> Iterator[str]:
    """A running platform (and its workers); yields the web server's base URL."""
    tag = secrets.token_hex(4)
    env = {
        "TRACEDOJO_SECRET_KEY": secrets.token_urlsafe(32),
        "TRACEDOJO_SUBMISSIONS_PER_MINUTE": "100000",
        "TRACEDOJO_REGISTRATIONS_PER_MINUTE": "100000",
        "TRACEDOJO_LOGIN_ATTEMPTS_PER_MINUTE": "100000",
        "TRACEDOJO_EXERCISES_DIR": str(ROOT / "exercises"),
    }
    services = Services(directory)
    database = _postgres_database() if stack == "celery" else None
    try:
        if database is not None:
            env |= {
                "TRACEDOJO_DATABASE_URL": database.__enter__(),
                "TRACEDOJO_QUEUE": "celery",
                "TRACEDOJO_BROKER_URL": REDIS,
                "TRACEDOJO_CELERY_QUEUE": f"tracedojo-bench-{tag}",
                "TRACEDOJO_EVENTS_PREFIX": f"tracedojo-bench-{tag}",
            }
        else:
            env |= {
                "TRACEDOJO_DATABASE_URL": f"sqlite:///{directory / 'bench.db'}",
                "TRACEDOJO_GRADING_WORKERS": str(workers),
            }
        port = _free_port()
        web = services.spawn("web", ["serve", "--port", str(port)], env)
        services.wait_for_log("web", "Uvicorn running", web)
        if database is not None:
            for n in range(workers):
                worker = services.spawn(f"worker-{n}", ["worker"], env)
                services.wait_for_log(f"worker-{n}", "ready.", worker)
        yield f"http://127.0.0.1:{port}"
    finally:
        services.stop()
        if database is not None:
            database.__exit__(None, None, None)


def _learners(base: str, count: int) -> list[str]:
    tokens = []
    with httpx2.Client(base_url=base, timeout=30) as http:
        for _ in range(count):
            name = "b" + secrets.token_hex(6)
            http.post("/api/auth/register", json={"username": name, "password": PASSWORD}).raise_for_status()
            response = http.post("/api/auth/token", data={"username": name, "password": PASSWORD})
            tokens.append(response.json()["access_token"])
    return tokens


def _one_learner(base: str, token: str, code: str, release: threading.Event, limit: float) -> Outcome:
    release.wait()
    start = time.perf_counter()
    outcome = Outcome(submitted=start)
    try:
        with httpx2.Client(base_url=base, timeout=limit) as http:
            response = http.post(
                "/api/exercises/echo-once/submissions",
                json={"code": code},
                headers={"Authorization": f"Bearer {token}"},
            )
        if response.status_code != 202:
            outcome.error = f"HTTP {response.status_code}"
            return outcome
        outcome.accepted = time.perf_counter()
        url = base.replace("http://", "ws://") + f"/api/submissions/{response.json()['id']}/live?token={token}"
        with connect(url, open_timeout=limit) as live:
            while True:
                event = json.loads(live.recv(timeout=max(0.1, limit - (time.perf_counter() - start))))
                if event["type"] == "result":
                    outcome.finished = time.perf_counter()
                    if event["result"]["status"] != "passed":
                        outcome.error = f"graded {event['result']['status']}: {event['result']['message']}"
                    return outcome
    except Exception as exc:
        outcome.error = type(exc).__name__
    return outcome


def burst(base: str, learners: int, limit: float) -> tuple[float, list[Outcome]]:
    """The time the burst was released and every learner's outcome."""
    tokens = _learners(base, learners)
    reference = (ROOT / "exercises" / "echo-once" / "solution.py").read_text()
    release = threading.Event()
    with ThreadPoolExecutor(max_workers=learners) as pool:
        futures = [
            pool.submit(_one_learner, base, token, f"{reference}\n# learner {n}\n", release, limit)
            for n, token in enumerate(tokens)
        ]
        time.sleep(0.5)  # every thread is waiting at the gate
        released = time.perf_counter()
        release.set()
        return released, [future.result() for future in futures]


def figures(stack: str, workers: int, released: float, outcomes: list[Outcome]) -> Figures:
    done = [o for o in outcomes if o.error is None and o.finished is not None]
    latencies = sorted(o.finished - o.submitted for o in done if o.finished is not None)
    accepted = [o.accepted - released for o in outcomes if o.accepted is not None]
    last = max((o.finished - released for o in done if o.finished is not None), default=0.0)
    return Figures(
        stack=stack,
        workers=workers,
        learners=len(outcomes),
        accepted_per_s=len(accepted) / max(accepted) if accepted else 0.0,
        graded_per_s=len(done) / last if last else 0.0,
        p50=statistics.median(latencies) if latencies else float("nan"),
        p99=latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))] if latencies else float("nan"),
        errors=len(outcomes) - len(done),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=100, help="learners submitting at once (at most 500)")
    parser.add_argument("--stack", choices=["inline", "celery", "both"], default="both")
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--limit", type=float, default=300.0, help="seconds a learner waits for a result")
    parser.add_argument("--logs", type=Path, help="keep the servers' logs and databases here")
    args = parser.parse_args()
    if not 1 <= args.learners <= 500:
        parser.error("--learners must be between 1 and 500")
    stacks = ["inline", "celery"] if args.stack == "both" else [args.stack]
    counts = [int(n) for n in args.workers.split(",")]
    results: list[Figures] = []
    for stack in stacks:
        for workers in counts:
            with tempfile.TemporaryDirectory(prefix="tracedojo-bench-") as directory:
                where = Path(directory) if args.logs is None else args.logs / f"{stack}-{workers}"
                where.mkdir(parents=True, exist_ok=True)
                with _stack(stack, workers, where) as base:
                    released, outcomes = burst(base, args.learners, args.limit)
            result = figures(stack, workers, released, outcomes)
            results.append(result)
            errors = sorted({o.error for o in outcomes if o.error})
            print(f"{stack} x{workers}: {result.row()}" + (f"  errors: {errors}" if errors else ""), flush=True)
    stack_names = {"inline": "SQLite + inline", "celery": "PostgreSQL + Celery (Redis)"}
    print()
    print("| stack | workers | learners | accepted/s | graded/s | p50 s | p99 s | errors |")
    print("|---|---|---|---|---|---|---|---|")
    for result in results:
        result.stack = stack_names[result.stack]
        print(result.row())
    return 1 if any(r.errors for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
