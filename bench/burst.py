"""A truly simultaneous deadline burst: N asyncio learners submit at the same instant and follow it live.

    .venv/bin/python bench/burst.py [--learners N] [--stack inline|celery|both] [--workers 2]

Unlike ``bench/load.py`` (one thread per learner, which costs the machine a good share of its CPU and
staggers the start), every learner here is a coroutine in this one process: they all wait at one gate,
then each POSTs a distinct copy of the echo-once reference and at once opens its live WebSocket, reading
every step until the final result. The same run first grades N submissions on a warm sandbox with the
same number of workers and no web server ("raw grader"), so the two throughputs are comparable.

Printed per stack: logins (N learners signing in together, its own figure: the password hash dominates),
p50/p99 from submitting to the final result, graded/s against the raw grader's, errors (any HTTP status
but 202, a broken WebSocket, a verdict other than passed, no result in time) and the CPU this benchmark
used itself. Exits 1 on any error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import secrets
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
from websockets.asyncio.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from load import PASSWORD, ROOT, _stack

from grader import Sandbox, find_exercise, grade_source

EXERCISE = "echo-once"


@dataclass
class Outcome:
    submitted: float
    finished: float | None = None
    error: str | None = None


@dataclass
class Figures:
    stack: str
    workers: int
    learners: int
    login_p50: float
    login_p99: float
    logins_per_s: float
    p50: float
    p99: float
    graded_per_s: float
    raw_per_s: float
    errors: int
    own_cpu_s: float
    error_kinds: list[str] = field(default_factory=list)

    def row(self) -> str:
        share = self.graded_per_s / self.raw_per_s * 100 if self.raw_per_s else 0.0
        return (
            f"| {self.stack} | {self.workers} | {self.learners} | {self.logins_per_s:.1f} "
            f"({self.login_p50:.2f}/{self.login_p99:.2f}) | {self.p50:.2f} | {self.p99:.2f} | "
            f"{self.graded_per_s:.1f} | {self.raw_per_s:.1f} | {share:.0f}% | {self.errors} | {self.own_cpu_s:.2f} |"
        )


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def raw_grader(count: int, workers: int) -> float:
    """Submissions per second graded by a warm sandbox with ``workers`` threads and no web server."""
    exercise = find_exercise(EXERCISE)
    reference = exercise.source(exercise.reference)
    codes = [f"{reference}\n# raw {n}\n" for n in range(count)]
    with Sandbox() as sandbox:
        grade_source(exercise, codes[0], sandbox=sandbox)  # warm-up
        started = time.perf_counter()
        with ThreadPoolExecutor(workers) as pool:
            results = list(pool.map(lambda code: grade_source(exercise, code, sandbox=sandbox), codes))
        wall = time.perf_counter() - started
    if not all(r.passed for r in results):
        raise RuntimeError("the raw grader failed the reference solution")
    return count / wall


def _client(base: str, limit: float) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(
        base_url=base, timeout=limit, limits=httpx2.Limits(max_connections=None, max_keepalive_connections=None)
    )


async def register(base: str, count: int) -> list[str]:
    names = ["b" + secrets.token_hex(6) for _ in range(count)]
    async with _client(base, 120) as http:
        for name in names:
            (await http.post("/api/auth/register", json={"username": name, "password": PASSWORD})).raise_for_status()
    return names


async def log_in(base: str, names: list[str]) -> tuple[list[str], list[float], float]:
    """Every learner signs in at once: their tokens, each login's seconds, and the wall time of all."""

    async def one(http: httpx2.AsyncClient, name: str) -> tuple[str, float]:
        started = time.perf_counter()
        response = await http.post("/api/auth/token", data={"username": name, "password": PASSWORD})
        response.raise_for_status()
        return response.json()["access_token"], time.perf_counter() - started

    async with _client(base, 300) as http:
        started = time.perf_counter()
        done = await asyncio.gather(*(one(http, name) for name in names))
        wall = time.perf_counter() - started
    return [token for token, _ in done], [seconds for _, seconds in done], wall


async def learner(
    http: httpx2.AsyncClient, base: str, token: str, code: str, gate: asyncio.Event, limit: float
) -> Outcome:
    await gate.wait()
    outcome = Outcome(submitted=time.perf_counter())
    try:
        response = await http.post(
            f"/api/exercises/{EXERCISE}/submissions", json={"code": code}, headers={"Authorization": f"Bearer {token}"}
        )
        if response.status_code != 202:
            outcome.error = f"HTTP {response.status_code}"
            return outcome
        url = base.replace("http://", "ws://") + f"/api/submissions/{response.json()['id']}/live?token={token}"
        async with asyncio.timeout(limit), connect(url, open_timeout=limit, max_size=None) as live:
            async for message in live:
                event = json.loads(message)
                if event["type"] == "result":
                    outcome.finished = time.perf_counter()
                    if event["result"]["status"] != "passed":
                        outcome.error = f"graded {event['result']['status']}"
                    return outcome
        outcome.error = "the WebSocket closed before the result"
    except Exception as exc:
        outcome.error = type(exc).__name__
    return outcome


async def burst(base: str, tokens: list[str], limit: float) -> tuple[float, list[Outcome]]:
    reference = (ROOT / "exercises" / EXERCISE / "solution.py").read_text()
    gate = asyncio.Event()
    async with _client(base, limit) as http:
        tasks = [
            asyncio.create_task(learner(http, base, token, f"{reference}\n# learner {n}\n", gate, limit))
            for n, token in enumerate(tokens)
        ]
        await asyncio.sleep(0.2)  # every learner is waiting at the gate
        released = time.perf_counter()
        gate.set()
        return released, list(await asyncio.gather(*tasks))


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(stack: str, workers: int, learners: int, limit: float, where: Path) -> tuple[Figures, list[Outcome]]:
    raw = raw_grader(learners, workers)
    with _stack(stack, workers, where) as base:
        names = asyncio.run(register(base, learners))
        tokens, logins, login_wall = asyncio.run(log_in(base, names))
        cpu_before = _cpu_seconds()
        released, outcomes = asyncio.run(burst(base, tokens, limit))
        own_cpu = _cpu_seconds() - cpu_before
    done = [o for o in outcomes if o.error is None and o.finished is not None]
    latencies = [o.finished - o.submitted for o in done if o.finished is not None]
    last = max((o.finished - released for o in done if o.finished is not None), default=0.0)
    figures = Figures(
        stack=stack,
        workers=workers,
        learners=learners,
        login_p50=statistics.median(logins),
        login_p99=percentile(logins, 0.99),
        logins_per_s=learners / login_wall,
        p50=percentile(latencies, 0.5),
        p99=percentile(latencies, 0.99),
        graded_per_s=len(done) / last if last else 0.0,
        raw_per_s=raw,
        errors=len(outcomes) - len(done),
        own_cpu_s=own_cpu,
        error_kinds=sorted({o.error for o in outcomes if o.error}),
    )
    return figures, outcomes


HEADER = (
    "| stack | workers | learners | logins/s (p50/p99 s) | p50 s | p99 s | graded/s | raw grader/s | "
    "web/raw | errors | bench CPU s |\n|---|---|---|---|---|---|---|---|---|---|---|"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=100, help="learners submitting at once (at most 500)")
    parser.add_argument("--stack", choices=["inline", "celery", "both"], default="inline")
    parser.add_argument("--workers", type=int, default=2, help="grading threads (inline) or worker processes")
    parser.add_argument("--limit", type=float, default=120.0, help="seconds a learner waits for a result")
    parser.add_argument("--logs", type=Path, help="keep the servers' logs and databases here")
    args = parser.parse_args()
    if not 1 <= args.learners <= 500:
        parser.error("--learners must be between 1 and 500")
    stacks = ["inline", "celery"] if args.stack == "both" else [args.stack]
    rows: list[Figures] = []
    for stack in stacks:
        with tempfile.TemporaryDirectory(prefix="tracedojo-burst-") as directory:
            where = Path(directory) if args.logs is None else args.logs / f"burst-{stack}-{args.workers}"
            where.mkdir(parents=True, exist_ok=True)
            figures, _ = run(stack, args.workers, args.learners, args.limit, where)
        rows.append(figures)
        print(f"{stack}: {figures.row()}" + (f"  errors: {figures.error_kinds}" if figures.errors else ""), flush=True)
    print()
    print(HEADER)
    for figures in rows:
        print(figures.row())
    return 1 if any(f.errors for f in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
