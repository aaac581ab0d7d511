"""Grade one submission: run it in the sandbox and check the trace row by row.

The trace is played twice in the same sandboxed child: first with the lesson's
payloads (the feedback a learner recognises), then, if every row passed, with
fresh random payloads so that a hard-coded reply fails.
"""

from __future__ import annotations

import functools
import random
import re
import time
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

from starlette.testclient import TestClient

from grader import protocol
from grader._portal import shared_portal
from grader.bridge import Bridge
from grader.exercise import Exercise
from grader.payloads import lesson_values, random_values, show
from grader.results import Results, Status, StepResult, StepStatus
from grader.runner import Context, TraceRun
from grader.sandbox import Sandbox, SandboxedChild, SandboxUnavailable

StepCallback = Callable[[StepResult], None]


class _LoadError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def grade_source(
    exercise: Exercise,
    code: str,
    *,
    sandbox: Sandbox,
    submission: str = "submission.py",
    seed: int | None = None,
    on_step: StepCallback | None = None,
) -> Results:
    """Grade ``code`` against ``exercise``. Never raises for anything the submission does.

    ``on_step`` is called from the grading thread with each row's result as soon
    as it is known, in row order. If the random replay then changes a row's
    verdict, ``on_step`` is called again for that row (and the rows after it,
    now skipped); the returned ``Results`` is always the final word.
    Raises ``SandboxUnavailable`` when the machine cannot isolate the code.
    """
    started = time.perf_counter()
    limits = sandbox.limits
    size = len(code.encode("utf-8", errors="replace"))
    if size > limits.code_bytes:
        return _error(
            exercise, submission, started, f"The submission is {size} bytes; the limit is {limits.code_bytes} bytes."
        )
    if "\x00" in code:
        return _error(exercise, submission, started, "The submission contains a NUL character; it is not Python text.")
    try:
        child = sandbox.spawn()
    except SandboxUnavailable:
        raise
    except Exception as exc:
        return _error(exercise, submission, started, f"The grader could not start a sandbox: {exc}")
    output = ""
    try:
        try:
            ready = _load(child, code, submission, exercise, limits.load_timeout)
        except _LoadError as failure:
            output = child.output(limits.output_bytes)
            message = failure.message
            if "Uvicorn running on" in output:
                # Tutorials end with uvicorn.run(app); at import time it serves forever instead of returning.
                message = (
                    "Your code started its own server with uvicorn.run(...) while loading, and that never "
                    "returns. The grader runs your app itself: put the call under "
                    '`if __name__ == "__main__":` (or remove it).'
                )
            return _error(exercise, submission, started, message, output)
        routes = ready.get("routes")
        context = Context(
            routes=[str(r) for r in routes] if isinstance(routes, list) else [],
            kind=str(ready.get("kind", "")),
            describe_exit=functools.cache(lambda: _describe_exit(child)),
        )
        bridge = Bridge(child, limits.frame_bytes, source_lines=len(code.splitlines()))
        deadline = time.monotonic() + limits.submission_timeout
        timeout = exercise.step_timeout or limits.step_timeout
        client = TestClient(bridge)
        client.portal = shared_portal()  # every connection runs on the process's grading event loop
        lesson = lesson_values(exercise.payloads)
        steps = TraceRun(exercise, client, bridge, lesson, timeout, deadline, context).run(on_step)
        if all(step.status is StepStatus.PASSED for step in steps) and exercise.payloads:
            values = random_values(exercise.payloads, random.Random(seed))
            replay = TraceRun(exercise, client, bridge, values, timeout, deadline, context).run()
            steps = _merge_replay(steps, replay, values, on_step)
        output = child.output(limits.output_bytes)
    except Exception as exc:
        return _error(
            exercise, submission, started, f"The grader failed unexpectedly: {type(exc).__name__}: {exc}", output
        )
    finally:
        # The verdict is known: kill the child's namespace and let the zygote reap it while the caller
        # goes on (the exit is recorded in ``sandbox.recent_exits`` when it arrives).
        child.close(wait=0)
    return _results(exercise, submission, steps, started, output)


def grade_file(
    exercise: Exercise, path: Path, *, sandbox: Sandbox, seed: int | None = None, on_step: StepCallback | None = None
) -> Results:
    """Grade a file; an unreadable or non-UTF-8 file is a graded error, not an exception."""
    started = time.perf_counter()
    try:
        data = path.read_bytes()
    except OSError as exc:
        return _error(exercise, path.name, started, f"Cannot read {path}: {exc.strerror}.")
    if len(data) > sandbox.limits.code_bytes:
        return _error(
            exercise,
            path.name,
            started,
            f"The submission is {len(data)} bytes; the limit is {sandbox.limits.code_bytes} bytes.",
        )
    try:
        code = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return _error(exercise, path.name, started, f"{path.name} is not UTF-8 text (byte {exc.start}).")
    return grade_source(exercise, code, sandbox=sandbox, submission=path.name, seed=seed, on_step=on_step)


def _load(child: SandboxedChild, code: str, submission: str, exercise: Exercise, timeout: float) -> dict[str, object]:
    child.control.settimeout(timeout)
    try:
        protocol.send_control(
            child.control, {"t": "load", "code": code, "filename": submission, "path": exercise.endpoint.path}
        )
        reply, _ = protocol.recv_control(child.control)
    except TimeoutError:
        raise _LoadError(
            f"Your code did not finish loading within {timeout:g} s: is there an endless loop or a "
            "blocking call at the top level of the module?"
        ) from None
    except (OSError, protocol.ProtocolViolation):
        reply = None
    finally:
        child.control.settimeout(None)
    if reply is None:
        raise _LoadError(f"Your code stopped the grader's process while loading: {_describe_exit(child)}.")
    if reply.get("t") == "load_error":
        raise _LoadError(str(reply.get("message", "your code could not be loaded")))
    if reply.get("t") != "ready":
        raise _LoadError("The sandboxed process answered something unexpected while loading.")
    return reply


# How long to wait for the zygote to report how a child that hung up on us ended. It is usually there at
# once; on a loaded machine the report can lag, and without it a crash would read as "stopped responding".
_EXIT_REPORT_SECONDS = 5.0


def _describe_exit(child: SandboxedChild) -> str:
    try:
        return child.exited.result(timeout=_EXIT_REPORT_SECONDS).describe()
    except FutureTimeout:
        return "the sandboxed process stopped responding"


def _merge_replay(
    steps: list[StepResult], replay: list[StepResult], values: dict[str, object], on_step: StepCallback | None
) -> list[StepResult]:
    failed = next((s for s in replay if s.status is not StepStatus.PASSED), None)
    if failed is None:
        return steps
    shown = ", ".join(f"{k} = {show(v)}" for k, v in values.items())
    merged = list(steps)
    for index, step in enumerate(replay):
        if step.n < failed.n:
            continue
        if step.n == failed.n:
            result = step.model_copy(
                update={
                    "message": f"Replayed with different values ({shown}): {step.message} "
                    "Does your endpoint use what it received, rather than a fixed reply?"
                }
            )
        else:
            result = step.model_copy(
                update={
                    "status": StepStatus.SKIPPED,
                    "expected": "",
                    "actual": "",
                    "message": "not run: an earlier step did not pass on the replay",
                }
            )
        merged[index] = result
        if on_step is not None:
            on_step(result)
    return merged


def _results(exercise: Exercise, submission: str, steps: list[StepResult], started: float, output: str) -> Results:
    passed = sum(1 for s in steps if s.status is StepStatus.PASSED)
    failed = next((s for s in steps if s.status not in (StepStatus.PASSED, StepStatus.SKIPPED)), None)
    if failed is None:
        status, message = Status.PASSED, f"All {len(steps)} steps passed."
    else:
        hint = _unawaited_hint(output)
        if hint and hint not in failed.message:
            failed = failed.model_copy(update={"message": f"{failed.message} {hint}"})
            steps = [failed if s.n == failed.n else s for s in steps]
        status, message = Status.FAILED, f"Step {failed.n} — {failed.title}: {failed.message}"
    return Results(
        exercise=exercise.slug,
        submission=submission,
        status=status,
        score=float(passed),
        max_score=exercise.max_score,
        message=message,
        output=output,
        duration_ms=round((time.perf_counter() - started) * 1000, 2),
        steps=steps,
    )


_UNAWAITED = re.compile(r"^[^\n]*?:(\d+): RuntimeWarning: coroutine '([\w.]+)' was never awaited", re.MULTILINE)


def _unawaited_hint(output: str) -> str:
    """The likeliest cause of a failure, when Python warned about it: a call to an async method without
    ``await`` does nothing at all. (The output is the learner's, so this only ever adds a hint.)"""
    found = _UNAWAITED.search(output)
    if found is None:
        return ""
    line, name = found.groups()
    return f"Python warned that `{name}()` at line {line} was never awaited: put `await` before the call."


def _error(exercise: Exercise, submission: str, started: float, message: str, output: str = "") -> Results:
    steps = [
        StepResult(
            n=row.n, title=row.action, status=StepStatus.SKIPPED, message="not run: the submission could not be loaded"
        )
        for row in exercise.execution_table
    ]
    return Results(
        exercise=exercise.slug,
        submission=submission,
        status=Status.ERROR,
        score=0.0,
        max_score=exercise.max_score,
        message=message,
        output=output,
        duration_ms=round((time.perf_counter() - started) * 1000, 2),
        steps=steps,
    )
