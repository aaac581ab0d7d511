"""Warm-pool grading speed against fresh interpreters, measured in the same run.

    .venv/bin/python bench/grading.py [--count N] [--jobs J]

Grades N distinct echo-once submissions (the reference, its correct styles and
its known-wrong variants, each made distinct) on one warm sandbox, one at a
time and then with J threads; and starts N fresh interpreters that only import
FastAPI and the TestClient. Prints per-submission times, the ratio, throughput
per core and the peak memory of the sandboxed children. Exits 1 if any verdict
differs from what the exercise declares for that submission.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader import Results, Sandbox, find_exercise, grade_source
from grader.exercise import Exercise

BASELINE = "import fastapi; from starlette.testclient import TestClient"


def batch(exercise: Exercise, count: int) -> list[tuple[str, str, int | None]]:
    """(name, code, row where it must fail or None) — distinct texts, cycling through the known ones."""
    known: list[tuple[str, str, int | None]] = [("reference", exercise.source(exercise.reference), None)]
    known += [(name, exercise.source(name), None) for name in exercise.also_correct]
    known += [
        (v.file, exercise.source(v.file), v.fails_at)
        for v in exercise.variants
        if "sleep" not in v.file and "hang" not in v.file and "block" not in v.file
    ]
    out = []
    for i in range(count):
        name, code, fails_at = known[i % len(known)]
        out.append((f"{i:03d}-{name}", f"# submission {i}\n{code}", fails_at))
    return out


def verdict_ok(result: Results, fails_at: int | None) -> bool:
    if fails_at is None:
        return result.passed
    failed = result.failed_step()
    return failed is not None and failed.n == fails_at


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    exercise = find_exercise("echo-once")
    submissions = batch(exercise, args.count)
    wrong = 0

    with Sandbox() as sandbox:
        grade_source(exercise, submissions[0][1], sandbox=sandbox)  # warm-up
        sequential: list[float] = []
        for name, code, fails_at in submissions:
            started = time.perf_counter()
            result = grade_source(exercise, code, sandbox=sandbox, submission=name, seed=1)
            sequential.append(time.perf_counter() - started)
            if not verdict_ok(result, fails_at):
                wrong += 1
                print(f"UNEXPECTED VERDICT {name}: {result.status} {result.message}")
        peaks = [e.peak_rss_kb for e in list(sandbox.recent_exits)[-len(submissions) :] if e.peak_rss_kb]

        def one(item: tuple[str, str, int | None]) -> bool:
            name, code, fails_at = item
            return verdict_ok(grade_source(exercise, code, sandbox=sandbox, submission=name, seed=2), fails_at)

        started = time.perf_counter()
        with ThreadPoolExecutor(args.jobs) as pool:
            parallel_ok = list(pool.map(one, submissions))
        parallel_wall = time.perf_counter() - started
        wrong += parallel_ok.count(False)
        zygote_rss = _rss_kb(sandbox)

    baseline: list[float] = []
    for _ in submissions:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", BASELINE], check=True)
        baseline.append(time.perf_counter() - started)

    warm_mean, base_mean = statistics.mean(sequential), statistics.mean(baseline)
    cores = os.cpu_count() or 1
    print(f"submissions graded          {len(submissions)} (echo-once, correct and wrong)")
    print(
        f"warm pool, one at a time    p50 {percentile(sequential, 0.5) * 1000:.1f} ms   "
        f"p90 {percentile(sequential, 0.9) * 1000:.1f} ms   mean {warm_mean * 1000:.1f} ms"
    )
    print(
        f"fresh interpreter baseline  p50 {percentile(baseline, 0.5) * 1000:.1f} ms   mean {base_mean * 1000:.1f} ms "
        "(import FastAPI + TestClient only)"
    )
    print(
        f"speed-up per submission     {base_mean / warm_mean:.1f}x (mean), "
        f"{percentile(baseline, 0.5) / percentile(sequential, 0.5):.1f}x (p50)"
    )
    print(
        f"throughput, {args.jobs} jobs          {len(submissions) / parallel_wall:.1f} submissions/s "
        f"= {len(submissions) / parallel_wall / cores:.1f} per core ({cores} cores)"
    )
    if peaks:
        print(
            f"sandboxed child peak RSS    median {statistics.median(peaks) / 1024:.1f} MiB, "
            f"max {max(peaks) / 1024:.1f} MiB (includes pages shared copy-on-write with the zygote, "
            f"whose RSS is {zygote_rss / 1024:.1f} MiB)"
        )
    print(f"verdicts as declared        {'all' if not wrong else f'{wrong} WRONG'}")
    return 1 if wrong else 0


def _rss_kb(sandbox: Sandbox) -> int:
    process = sandbox._process
    if process is None:
        return 0
    try:
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        pid = int(children[0]) if children else process.pid
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
