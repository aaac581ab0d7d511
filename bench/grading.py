"""Grading speed against the floor and against fresh interpreters, every baseline measured in the same run.

    .venv/bin/python bench/grading.py [--count N] [--lessons N] [--fresh N] [--jobs J]

1. echo-once, one submission at a time on one warm sandbox, interleaved with the *in-process floor*: the same
   checks of the same submissions (both passes, lesson and random payloads) with no process boundary, in this
   warm interpreter (the submission loaded with the grader's own ``mount``, a TestClient on the grader's
   portal, no bridge, no sandbox), and with a plain TestClient (a portal thread per connection). Prints
   them, the ratios, and CPU per submission on each side.
2. Every lesson's reference solution, graded N times: median and p90 per submission.
3. Throughput with J threads grading at once.
4. Memory: the zygote's RSS and the sandboxed children's peak RSS over the first 30 and the last 30 of the
   batch (the batch is ``--count`` submissions, 480 by default).
5. N fresh interpreters that only import FastAPI and the TestClient (what a ``pytest`` per submission pays
   before any check).

Exits 1 if any verdict differs from what the exercise declares for that submission.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from starlette.testclient import TestClient, WebSocketTestSession

from grader import Results, Sandbox, checks, find_exercise, grade_source
from grader._portal import shared_portal
from grader.exercise import Exercise
from grader.mounting import mount
from grader.payloads import Values, lesson_values, random_values, render

BASELINE = "import fastapi; from starlette.testclient import TestClient"
LESSONS = [
    "echo-once",
    "echo-loop",
    "json-messages",
    "binary-frames",
    "close-codes",
    "subprotocol-denial",
    "items-auth",
    "chat-broadcast",
]
LESSON_LIMIT_MS = 60.0
FLOOR_RATIO_GOAL = 2.0


def batch(exercise: Exercise, count: int, *, wrong: bool = True) -> list[tuple[str, str, int | None]]:
    """(name, code, row where it must fail or None) — distinct texts, cycling through the known ones."""
    known: list[tuple[str, str, int | None]] = [("reference", exercise.source(exercise.reference), None)]
    known += [(name, exercise.source(name), None) for name in exercise.also_correct]
    if wrong:
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


# -- the in-process floor ----------------------------------------------------------------------------------


def in_process(exercise: Exercise, code: str, seed: int, *, portal: bool = True) -> bool:
    """The same checks as the grader's, with no process boundary: whether every row passes on both passes.

    What only the sandbox can observe (the app waiting, handling, finishing) is not checked here, which
    makes the floor cheaper than the grader could ever be. Supports the checks of echo-once's trace."""
    module = types.ModuleType("submission")
    module.__file__ = "submission.py"
    sys.modules["submission"] = module  # as the child loads it (dataclasses look their module up)
    exec(compile(code, "submission.py", "exec"), module.__dict__)
    mounted = mount(dict(module.__dict__), "submission", exercise.endpoint.path)
    client = TestClient(mounted.app)
    if portal:  # the grader's one event-loop thread; without it, a TestClient starts one per connection
        client.portal = shared_portal()
    passes = [lesson_values(exercise.payloads), random_values(exercise.payloads, random.Random(seed))]
    return all(_floor_trace(exercise, client, values) for values in passes)


def _floor_trace(exercise: Exercise, client: TestClient, values: Values) -> bool:
    sessions: dict[str, WebSocketTestSession] = {}
    try:
        for row in exercise.execution_table:
            for action in row.check:
                if not _floor_check(exercise, client, values, sessions, action):
                    return False
        return True
    finally:
        for session in sessions.values():
            with contextlib.suppress(Exception):  # an endpoint that loops ends in WebSocketDisconnect
                session.__exit__(None, None, None)


def _floor_check(
    exercise: Exercise,
    client: TestClient,
    values: Values,
    sessions: dict[str, WebSocketTestSession],
    action: checks.Action,
) -> bool:
    match action:
        case checks.Connect():
            path = render(action.path or exercise.endpoint.path, values)
            sessions[action.client] = client.websocket_connect(path).__enter__()
        case checks.ExpectAccept():
            return action.client in sessions
        case checks.SendText():
            sessions[action.client].send_text(render(action.text, values))
        case checks.ExpectText():
            message = sessions[action.client].receive()
            text = message.get("text")
            if text is None:
                return False
            if action.equals is not None:
                return bool(text == render(action.equals, values))
            if action.contains is not None:
                return render(action.contains, values) in text
            return re.fullmatch(render(action.pattern or "", values), text) is not None
        case checks.ExpectWaiting() | checks.ExpectHandled() | checks.ExpectOpenOrClosed() | checks.ExpectFinished():
            return True  # what only the sandbox's relay can observe: free here
        case _:
            raise NotImplementedError(f"the floor does not play {action.kind}")
    return True


# -- measurements --------------------------------------------------------------------------------------------


def _timed(call: Callable[[], Any]) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    value = call()
    return value, time.perf_counter() - wall, time.process_time() - cpu


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=480, help="echo-once submissions in the batch")
    parser.add_argument("--lessons", type=int, default=15, help="gradings of each lesson's reference")
    parser.add_argument("--fresh", type=int, default=15, help="fresh interpreters for the baseline")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    exercise = find_exercise("echo-once")
    submissions = batch(exercise, args.count)
    correct = batch(exercise, args.count, wrong=False)
    wrong = 0

    with Sandbox() as sandbox:
        for name, code, _ in correct[:5]:  # warm both sides
            grade_source(exercise, code, sandbox=sandbox, submission=name)
            in_process(exercise, code, 1)

        # 1 and 4: the batch, each correct submission followed by the floor for the same text
        graded: list[float] = []
        graded_cpu: list[float] = []
        floor: list[float] = []
        floor_cpu: list[float] = []
        plain: list[float] = []
        zygote_rss: list[int] = []
        first_exit = len(sandbox.recent_exits)
        for i, (name, code, fails_at) in enumerate(submissions):
            result, wall, cpu = _timed(
                lambda name=name, code=code: grade_source(exercise, code, sandbox=sandbox, submission=name, seed=1)
            )
            if not verdict_ok(result, fails_at):
                wrong += 1
                print(f"UNEXPECTED VERDICT {name}: {result.status} {result.message}")
            if fails_at is None:
                graded.append(wall)
                graded_cpu.append(cpu)
                ok, wall, cpu = _timed(lambda code=code: in_process(exercise, code, 1))
                if not ok:
                    wrong += 1
                    print(f"UNEXPECTED FLOOR VERDICT {name}")
                floor.append(wall)
                floor_cpu.append(cpu)
                _, wall, _ = _timed(lambda code=code: in_process(exercise, code, 1, portal=False))
                plain.append(wall)
            if i + 1 in (30, len(submissions)):
                zygote_rss.append(_rss_kb(sandbox, zygote=True))
        time.sleep(0.2)  # the last exits are reported as the zygote reaps them
        exits = list(sandbox.recent_exits)[first_exit:]
        peaks = [e.peak_rss_kb for e in exits if e.peak_rss_kb]
        sandbox_cpu = [e.cpu_s for e in exits if e.cpu_s]

        # 2: every lesson's reference
        lessons: list[tuple[str, list[float], bool]] = []
        for slug in LESSONS:
            lesson = find_exercise(slug)
            code = lesson.source(lesson.reference)
            grade_source(lesson, code, sandbox=sandbox)
            times, all_passed = [], True
            for i in range(args.lessons):
                result, wall, _ = _timed(
                    lambda i=i, code=code, lesson=lesson: grade_source(
                        lesson, f"# submission {i}\n{code}", sandbox=sandbox, seed=i
                    )
                )
                times.append(wall)
                all_passed = all_passed and result.passed
            wrong += 0 if all_passed else 1
            lessons.append((slug, times, all_passed))

        # 3: throughput
        def one(item: tuple[str, str, int | None]) -> bool:
            name, code, fails_at = item
            return verdict_ok(grade_source(exercise, code, sandbox=sandbox, submission=name, seed=2), fails_at)

        share = submissions[: min(len(submissions), 240)]
        started = time.perf_counter()
        with ThreadPoolExecutor(args.jobs) as pool:
            parallel_ok = list(pool.map(one, share))
        parallel_wall = time.perf_counter() - started
        wrong += parallel_ok.count(False)

    # 5: fresh interpreters
    fresh: list[float] = []
    for _ in range(args.fresh):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", BASELINE], check=True)
        fresh.append(time.perf_counter() - started)

    cores = os.cpu_count() or 1
    g50, f50 = percentile(graded, 0.5), percentile(floor, 0.5)
    gmean, fmean = statistics.mean(graded), statistics.mean(floor)
    print(f"echo-once, {len(graded)} correct submissions (of {len(submissions)} graded), one at a time, interleaved:")
    print(f"  sandboxed grading         p50 {_ms(g50)}   p90 {_ms(percentile(graded, 0.9))}   mean {_ms(gmean)}")
    print(f"  in-process floor          p50 {_ms(f50)}   p90 {_ms(percentile(floor, 0.9))}   mean {_ms(fmean)}")
    p50 = percentile(plain, 0.5)
    print(f"  floor, plain TestClient   p50 {_ms(p50)}   (a portal thread per connection, as in a learner's test)")
    ratio = g50 / f50
    print(
        f"  grading / floor           {ratio:.2f}x (p50), {gmean / fmean:.2f}x (mean)   "
        f"goal under {FLOOR_RATIO_GOAL:.0f}x: {'met' if ratio < FLOOR_RATIO_GOAL else 'NOT met'}"
    )
    print(f"  grading / plain floor     {g50 / p50:.2f}x (p50)")
    if sandbox_cpu:
        print(
            f"  CPU per submission        sandbox {_ms(statistics.median(sandbox_cpu))} (median, the child's own), "
            f"grader process {_ms(statistics.median(graded_cpu))}, floor {_ms(statistics.median(floor_cpu))}"
        )
    print(f"every lesson's reference, {args.lessons} gradings each (goal: under {LESSON_LIMIT_MS:.0f} ms):")
    for slug, times, all_passed in lessons:
        p50 = percentile(times, 0.5) * 1000
        verdict = "" if all_passed else "   WRONG VERDICT"
        mark = "ok" if p50 < LESSON_LIMIT_MS else "OVER"
        print(f"  {slug:20s}      p50 {p50:6.1f} ms   p90 {percentile(times, 0.9) * 1000:6.1f} ms   {mark}{verdict}")
    print(
        f"throughput, {args.jobs} jobs            {len(share) / parallel_wall:.1f} submissions/s "
        f"= {len(share) / parallel_wall / cores:.1f} per core ({cores} cores)"
    )
    if len(peaks) >= 60:
        early, late = peaks[:30], peaks[-30:]
        print(
            f"memory                      child peak RSS median {statistics.median(early) / 1024:.1f} MiB over "
            f"submissions 1-30, {statistics.median(late) / 1024:.1f} MiB over the last 30 of {len(peaks)} "
            f"(max {max(peaks) / 1024:.1f}); zygote RSS {zygote_rss[0] / 1024:.1f} MiB after 30, "
            f"{zygote_rss[-1] / 1024:.1f} MiB after {len(submissions)}"
        )
    fresh50 = percentile(fresh, 0.5)
    print(
        f"fresh interpreter baseline  p50 {_ms(fresh50)} (import FastAPI + TestClient only): "
        f"{fresh50 / g50:.1f}x a sandboxed grading"
    )
    print(f"verdicts as declared        {'all' if not wrong else f'{wrong} WRONG'}")
    return 1 if wrong else 0


def _rss_kb(sandbox: Sandbox, *, zygote: bool) -> int:
    """The zygote's RSS (the launcher's child), read from /proc."""
    process = sandbox._process
    if process is None or not zygote:
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
