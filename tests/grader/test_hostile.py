"""Hostile submissions against echo-once: each gets an honest verdict and stays contained.

Every file in ``hostile/`` is one behaviour. Placeholders (``__PORT__``, ``__MARKER__``...)
are filled with this run's canaries before grading. For each behaviour the test checks
the verdict, then that nothing outside the sandbox was read, written, reached or left
running, that grading took bounded time, and that the sandbox still passes a correct
endpoint afterwards. A behaviour that prints ``REPORT {json}`` has its report checked too.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import re
import resource
import secrets
import socket
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from grader.exercise import Exercise
from grader.grading import grade_source
from grader.limits import Limits
from grader.loader import find_exercise
from grader.results import Results, Status, StepStatus
from grader.sandbox import Sandbox

HOSTILE = Path(__file__).parent / "hostile"
REPO = Path(__file__).resolve().parents[2]
SOLUTION = REPO / "exercises" / "echo-once" / "solution.py"
LIMITS = Limits(step_timeout=0.5, load_timeout=2.0, submission_timeout=8.0, cpu_seconds=3, memory_mb=128)
GRADE_SECONDS = LIMITS.submission_timeout  # no grading, floods included, outlasts the submission's time limit
ENV_CANARY = "TRACEDOJO_HOSTILE_CANARY"
# places a grader, an autograder harness or a careless operator might look for results
RESULT_FILES = [Path("/tmp/results.json"), Path("/results.json"), Path("/autograder/results/results.json")]
TRUNCATED = "\n[output truncated]"


@dataclass(frozen=True)
class Verdict:
    status: Status
    step: int | None = None  # the first row that did not pass
    step_status: StepStatus | None = None  # None: failed, error or timeout
    says: str = ""  # a substring of the overall message


def _failed(step: int, says: str = "", status: StepStatus | None = StepStatus.FAILED) -> Verdict:
    return Verdict(Status.FAILED, step, status, says)


PASSED = Verdict(Status.PASSED)
TIMED_OUT = _failed(5, "still busy with the message after 0.5 s", StepStatus.TIMEOUT)
CRASHED = _failed(5, "sandboxed process was ended by SIGSEGV", StepStatus.ERROR)

# harmless-but-correct endpoints must pass; everything else must not
VERDICTS: dict[str, Verdict] = {
    "accept_twice": _failed(3, "accepted the connection twice"),
    "ctypes_segfault": CRASHED,
    "daemon_double_fork": PASSED,
    "deep_recursion": CRASHED,
    "delete_files": PASSED,
    "fake_result_files": _failed(6, "'results written'"),
    "fake_results_stdout": _failed(6, "'see my results above'"),
    "fd_exhaustion": PASSED,
    "fd_exhaustion_kept": PASSED,
    "fd_exhaustion_at_import": PASSED,
    "flood_after_reply": PASSED,
    "forged_frames": _failed(5, "over the limit"),
    # the child's own reports (finished, waiting, variables, load errors) can be forged; none may lift a verdict
    "forged_finished": _failed(7, "did not end cleanly"),
    "forged_finished_hangup": _failed(7, "did not end cleanly"),
    "forged_load_error": Verdict(Status.ERROR, says="control channel"),
    "forged_vars": _failed(5, "wrote to its connection"),
    "forged_waiting": _failed(3, "still busy", StepStatus.TIMEOUT),
    "fork_bomb": _failed(6, "forked"),
    "hard_coded": _failed(6, "Replayed with different values"),
    "huge_close_reason": _failed(5, "over the limit"),
    "huge_frame": _failed(5, "", None),  # MemoryError in the child or the frame limit: both are honest
    "huge_tmp_file": PASSED,
    "ignore_sigterm": TIMED_OUT,
    # Starlette's raw message-type errors come with the mistake's name and its fix
    "invalid_asgi_http": _failed(5, "type 'http.response.start'). `websocket.send()` takes a whole ASGI message"),
    "invalid_asgi_text": _failed(5, "text must be str, not int 123). Your endpoint sent a text message whose data"),
    "kill_everything": PASSED,
    "loop_at_import": Verdict(Status.ERROR, says="did not finish loading within 2 s"),
    "loop_in_handler": TIMED_OUT,
    "many_messages": _failed(6, "'spam 0'"),
    "memory_bomb_handler": _failed(5, "MemoryError"),
    "memory_bomb_import": Verdict(Status.ERROR, says="MemoryError"),
    "network": PASSED,
    "os_exit_handler": _failed(5, "exited with status 0", StepStatus.ERROR),
    "os_exit_import": Verdict(Status.ERROR, says="exited with status 0"),
    "patch_builtins": _failed(5, "", None),  # its own process is broken: any honest failure will do
    "patch_child": _failed(5, "crashed before answering"),  # the patch reaches a copy, not the relay
    "patch_grader": _failed(6, "patched"),
    "patch_testclient": _failed(6, "I patched the test client"),
    "privilege_escalation": PASSED,
    "read_secrets": PASSED,
    "send_before_accept": _failed(2, "sent a message before accepting"),
    "send_flood": _failed(6, "'xxxxxxxx"),
    "sleep_in_handler": TIMED_OUT,
    "stderr_flood": _failed(6, "bytes to stderr"),
    "stdout_flood": _failed(5, "printed more output than the grader allows"),
    "subprocess_outlives": PASSED,
    "sys_exit_handler": _failed(5, "SystemExit"),
    "sys_exit_import": Verdict(Status.ERROR, says="SystemExit"),
    "terminal_escapes": _failed(6, "received the text message '[/]"),
    "thread_sends_late": PASSED,
    "thread_spins_after": PASSED,
    "thread_spray": _failed(6, "threads"),
    "wait_flood": _failed(5, "", None),  # busy while it floods, or cut off as a violation: both honest
}
NAMES = sorted(p.stem for p in HOSTILE.glob("*.py"))


# -- canaries ---------------------------------------------------------------------------------


def _file_state(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def _processes() -> dict[int, tuple[int, bytes]]:
    """pid -> (parent pid, command line) of every process on the machine."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        found[int(entry)] = (ppid, cmdline)
    return found


def _descendants(root: int, table: dict[int, tuple[int, bytes]]) -> set[int]:
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


@dataclass
class Canaries:
    """What this run plants outside the sandbox, and the checks that nothing got through."""

    directory: Path
    secret: str = field(default_factory=lambda: secrets.token_hex(16))
    env_secret: str = field(default_factory=lambda: secrets.token_hex(16))
    token: str = field(default_factory=lambda: secrets.token_hex(6))
    marker: str = field(default_factory=lambda: f"4242.{secrets.randbelow(10**9):09d}")

    def __post_init__(self) -> None:
        self.canary = self.directory / "canary.txt"
        self.canary.write_text(f"secret={self.secret}\n", encoding="utf-8")
        self.solution = SOLUTION.read_text(encoding="utf-8")
        self.tcp = socket.create_server(("127.0.0.1", 0))
        self.tcp.setblocking(False)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.tcp.getsockname()[1]))
        self.udp.setblocking(False)
        self.result_files = {path: _file_state(path) for path in RESULT_FILES}

    def close(self) -> None:
        self.tcp.close()
        self.udp.close()

    def render(self, code: str, sandbox: Sandbox) -> str:
        assert sandbox._process is not None
        values = {
            "__CANARY_FILE__": str(self.canary),
            "__CANARY_DIR__": str(self.directory),
            "__REPO__": str(REPO),
            "__PORT__": str(self.tcp.getsockname()[1]),
            "__MARKER__": self.marker,
            "__TOKEN__": self.token,
            "__HOST_PID__": str(os.getpid()),
            "__LAUNCHER_PID__": str(sandbox._process.pid),
        }
        for placeholder, value in values.items():
            code = code.replace(placeholder, value)
        return code

    def assert_nothing_leaked(self, results: Results) -> None:
        text = results.model_dump_json()
        for secret in (self.secret, self.env_secret):
            for form in (secret, base64.b64encode(secret.encode()).decode(), secret[::-1]):
                assert form not in text, "a canary secret reached the results"
        assert self.solution.strip() not in text, "the reference solution reached the results"

    def assert_nothing_written(self) -> None:
        for folder in (Path("/tmp"), self.directory, REPO, REPO / "grader", Path("/autograder/results")):
            if folder.is_dir():
                assert not [p for p in folder.iterdir() if self.token in p.name], f"a file appeared in {folder}"
        for path, state in self.result_files.items():
            assert _file_state(path) == state, f"{path} was created or changed"
        for path in (SOLUTION, REPO / "grader" / "grading.py", REPO / "grader" / "sandbox.py", REPO / "pyproject.toml"):
            assert self.token not in path.read_text(encoding="utf-8"), f"{path} was overwritten"
        assert self.canary.read_text(encoding="utf-8") == f"secret={self.secret}\n"
        assert Path(sys.executable).exists() and Path("/usr/bin").is_dir()

    def assert_nothing_reached(self) -> None:
        with pytest.raises(BlockingIOError):
            connection, _ = self.tcp.accept()
            connection.close()
        with pytest.raises(BlockingIOError):
            self.udp.recv(64)

    def assert_no_survivors(self, sandbox: Sandbox, spares: set[int], wait: float = 5.0) -> None:
        """Only the launcher, its zygote and one fresh pre-forked child remain; nothing carries the marker.

        ``spares`` are the zygote's children before grading: the one that served the
        submission must be gone with everything it started.
        """
        zygote, _ = _zygote_and_children(sandbox)
        deadline = time.monotonic() + wait
        while True:
            table = _processes()
            marked = [pid for pid, (_, cmdline) in table.items() if self.marker.encode() in cmdline]
            others = _descendants(zygote, table)
            fresh = len(others) == 1 and not others & spares and all(table[p][0] == zygote for p in others)
            if not marked and fresh:
                return
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"processes survived grading: marked {marked}, under the zygote {others} "
                    f"(pre-forked before grading: {spares})"
                )
            time.sleep(0.05)


def _zygote_and_children(sandbox: Sandbox) -> tuple[int, set[int]]:
    assert sandbox._process is not None
    table = _processes()
    launched = [pid for pid, (ppid, _) in table.items() if ppid == sandbox._process.pid]
    assert len(launched) == 1, f"the launcher should have one child, the zygote: {launched}"
    return launched[0], _descendants(launched[0], table)


# -- reports printed by the behaviours --------------------------------------------------------


def _report(results: Results, label: str = "REPORT") -> Any:
    for line in results.output.splitlines():
        if line.startswith(label + " "):
            return json.loads(line[len(label) + 1 :])
    raise AssertionError(f"no {label} line in the output: {results.output[:500]!r}")


def _check_read_secrets(results: Results, canaries: Canaries) -> None:
    report = _report(results)
    assert report["environ"] == {}
    for path, outcome in report["files"].items():
        if path.startswith("/proc/") and path.endswith("/environ") and outcome.startswith("read:"):
            assert "=" not in outcome, f"{path} showed an environment"
        else:
            assert outcome.startswith("denied:"), f"{path} was readable: {outcome[:80]!r}"
    dirs = report["dirs"]
    assert dirs[str(canaries.directory)] == "denied:FileNotFoundError"
    for home in ("/root", "/home"):  # only the directories leading to Python itself may show
        assert not isinstance(dirs[home], list) or set(dirs[home]) <= _python_homes(home), dirs[home]
    repo_view = dirs[str(REPO)]
    assert isinstance(repo_view, list)
    assert not {"exercises", "pyproject.toml", "tracedojo", "tests", "migrations"} & set(repo_view)


def _python_homes(home: str) -> set[str]:
    found = set()
    for prefix in {sys.base_prefix, sys.prefix, sys.exec_prefix}:
        path = Path(os.path.realpath(prefix))
        if path.is_relative_to(home) and path != Path(home):
            found.add(path.relative_to(home).parts[0])
    return found


def _check_network(results: Results, canaries: Canaries) -> None:
    report = _report(results)
    for name in ("loopback", "loopback_udp", "outside", "ipv6", "abstract_unix"):
        assert report[name].startswith("refused:"), f"{name}: {report[name]}"
    assert set(report["interfaces"]) <= {"lo"}


def _check_fake_result_files(results: Results, canaries: Canaries) -> None:
    report = _report(results)
    for path, outcome in report.items():
        if not path.startswith("/tmp/"):  # /tmp is the sandbox's own: writing there is allowed
            assert outcome.startswith("denied:"), f"{path}: {outcome}"


def _check_delete_files(results: Results, canaries: Canaries) -> None:
    assert "deleted" not in _report(results).values()
    assert SOLUTION.is_file() and (REPO / "grader" / "grading.py").is_file()


def _check_privilege_escalation(results: Results, canaries: Canaries) -> None:
    report = _report(results)
    for name in ("setuid", "setgid", "setresuid", "unshare_net", "unshare_ns", "chroot"):
        assert report[name] != "ok", name
    assert report["uid"] not in (0, os.getuid())
    inner = _report(results, "REPORT-USERNS")
    for name in ("remount_root", "write_root", "write_grader"):
        assert inner[name] != "ok", name


def _check_kill_everything(results: Results, canaries: Canaries) -> None:
    report = _report(results)
    assert report["pid"] == 1
    assert report["grader"] == report["launcher"] == "ProcessLookupError"
    assert report["sweep"] == ["ProcessLookupError"]


def _within(limit: int, least: int = 1) -> Callable[[Results, Canaries], None]:
    def check(results: Results, canaries: Canaries) -> None:
        value = next(iter(_report(results).values()))
        assert least <= value < limit

    return check


def _check_tmp(results: Results, canaries: Canaries) -> None:
    report = _report(results)
    assert report["big"][0] <= LIMITS.file_size_kb * 1024 and report["big"][1] is not None
    assert 0 < report["total"] <= LIMITS.tmp_size_kb * 1024


def _check_truncated(results: Results, canaries: Canaries) -> None:
    assert results.output.endswith(TRUNCATED)
    assert len(results.output) <= LIMITS.output_bytes + len(TRUNCATED)


def _check_forged_load_error(results: Results, canaries: Canaries) -> None:
    text = results.model_dump_json()
    text.encode("utf-8")  # no lone surrogate reaches the results
    assert "PASSED" not in results.message and "\x1b" not in results.message


def _check_terminal_escapes(results: Results, canaries: Canaries) -> None:
    text = results.model_dump_json()
    text.encode("utf-8")  # the lone surrogate it printed is gone
    for control in ("\x1b", "\x9b", "\x07"):
        assert control not in results.output and control not in results.message, "a terminal control was kept raw"
    assert "\\x1b]0;owned\\x07" in results.output, "the output should show the sequence, escaped"


def _check_first_trace_failed(results: Results, canaries: Canaries) -> None:
    assert "Replayed" not in results.message, "the forgery passed the lesson's trace"


def _check_forged_waiting(results: Results, canaries: Canaries) -> None:
    assert "forged [1]" in results.output, "the forger did not reach the relay"


REPORTS: dict[str, Callable[[Results, Canaries], None]] = {
    "forged_waiting": _check_forged_waiting,
    "forged_load_error": _check_forged_load_error,
    "terminal_escapes": _check_terminal_escapes,
    "forged_finished": _check_first_trace_failed,
    "forged_finished_hangup": _check_first_trace_failed,
    "read_secrets": _check_read_secrets,
    "network": _check_network,
    "fake_result_files": _check_fake_result_files,
    "delete_files": _check_delete_files,
    "privilege_escalation": _check_privilege_escalation,
    "kill_everything": _check_kill_everything,
    "fd_exhaustion": _within(LIMITS.open_files),
    "thread_spray": _within(LIMITS.processes),
    "fork_bomb": _within(LIMITS.processes, least=0),  # the bomb may have taken every slot
    "huge_tmp_file": _check_tmp,
    "stdout_flood": _check_truncated,
    "stderr_flood": _check_truncated,
}


# -- fixtures and tests -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def canaries(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Canaries]:
    planted = Canaries(tmp_path_factory.mktemp("canary"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV_CANARY, planted.env_secret)
        yield planted
    planted.close()


@pytest.fixture(scope="module")
def sandbox(canaries: Canaries) -> Iterator[Sandbox]:
    assert os.environ[ENV_CANARY] == canaries.env_secret  # started with the canary in our environment
    with Sandbox(LIMITS) as sb:
        yield sb


@pytest.fixture(scope="module")
def exercise() -> Exercise:
    return find_exercise("echo-once")


def _describe(results: Results) -> str:
    lines = [f"{results.status}: {results.message!r} output={results.output[:300]!r}"]
    lines += [f"  {s.n} {s.status} actual={s.actual!r}" for s in results.steps]
    return "\n".join(lines)


def assert_verdict(results: Results, verdict: Verdict) -> None:
    report = _describe(results)
    assert results.status is verdict.status, report
    assert verdict.says in results.message, report
    first = next((s for s in results.steps if s.status is not StepStatus.PASSED), None)
    if verdict.status is Status.PASSED:
        assert first is None and results.score == results.max_score, report
    elif verdict.status is Status.ERROR:
        assert all(s.status is StepStatus.SKIPPED for s in results.steps) and results.score == 0, report
    else:
        assert first is not None and first.n == verdict.step, report
        if verdict.step_status is None:
            assert first.status in (StepStatus.FAILED, StepStatus.ERROR, StepStatus.TIMEOUT), report
        else:
            assert first.status is verdict.step_status, report


def test_the_corpus_is_complete() -> None:
    assert len(NAMES) >= 25
    assert set(NAMES) == set(VERDICTS), "every hostile submission needs a verdict, and only those"
    assert set(REPORTS) <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_hostile_submission_is_contained(name: str, sandbox: Sandbox, canaries: Canaries, exercise: Exercise) -> None:
    code = canaries.render((HOSTILE / f"{name}.py").read_text(encoding="utf-8"), sandbox)
    assert "__" + "PORT__" not in code and "__" + "MARKER__" not in code
    restarts = sandbox.restarts
    _, spares = _zygote_and_children(sandbox)
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    started = time.monotonic()
    results = grade_source(exercise, code, sandbox=sandbox, submission=f"{name}.py", seed=7)
    elapsed = time.monotonic() - started

    assert elapsed < GRADE_SECONDS, f"grading took {elapsed:.1f} s"
    assert_verdict(results, VERDICTS[name])
    if name in REPORTS:
        REPORTS[name](results, canaries)
    canaries.assert_nothing_leaked(results)
    canaries.assert_nothing_written()
    canaries.assert_nothing_reached()
    assert sandbox.restarts == restarts, "the submission took the zygote down"
    canaries.assert_no_survivors(sandbox, spares)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024
    assert grown_mb < 200, f"the grader's own memory grew by {grown_mb:.0f} MB"

    correct = grade_source(exercise, SOLUTION.read_text(encoding="utf-8"), sandbox=sandbox, seed=7)
    assert correct.status is Status.PASSED, _describe(correct)


SPINNER = """
import os
import re

from fastapi import FastAPI, WebSocket

app = FastAPI()
for _ in range(40):  # as many spinning processes as the limit allows, each on any core it can get
    try:
        if os.fork() == 0:
            while True:
                pass
    except OSError:
        break


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    while True:
        pass
"""


def test_correct_submissions_pass_beside_ones_spinning_on_every_core(tmp_path: Path, exercise: Exercise) -> None:
    """More jobs than cores, most of them spinning every process they may start: the correct ones still pass,
    and nothing is reported as the learner's fault that was the grader's."""
    from grader.batch import grade_paths

    correct = SOLUTION.read_text(encoding="utf-8")
    files = []
    for index in range(8):
        kind = "correct" if index % 3 == 1 else "spinner"
        path = tmp_path / f"{index}_{kind}.py"
        path.write_text(correct if kind == "correct" else SPINNER, encoding="utf-8")
        files.append(path)
    limits = Limits(step_timeout=2.0, load_timeout=5.0, submission_timeout=20.0, cpu_seconds=10, processes=24)
    jobs = max(8, 2 * (os.cpu_count() or 1))
    with Sandbox(limits) as sb:
        results = list(grade_paths(exercise, files, sandbox=sb, jobs=jobs, seed=5))
    assert len(results) == len(files)
    for path, result in zip(files, results, strict=True):
        if "correct" in path.name:
            assert result.status is Status.PASSED, _describe(result)
        else:
            assert result.status is not Status.PASSED, _describe(result)
        assert "stopped the grader's process" not in result.message, _describe(result)
        assert "grader itself failed" not in result.message, _describe(result)


# Hostile behaviours mixed into a real batch: text that breaks terminals and encoders, forged reports, floods
# and a spinner on every core; the correct ones include other shapes of a right answer.
BATCH_HOSTILE = ("forged_load_error", "forged_finished", "terminal_escapes", "send_flood", "stdout_flood")
CASES = REPO / "tests" / "grader" / "cases"
BATCH_CORRECT = (
    SOLUTION,
    *(CASES / c / "submission.py" for c in ("correct-async-sleep", "correct-prints-while-working")),
)
_TEXT_HEADER = re.compile(r"^echo-once · (\S+)\s+(PASSED|FAILED|ERROR)\s", re.MULTILINE)


def _statuses(format: str, out: str, names: list[str]) -> list[str]:
    """The status of each submission, in order, as one output format tells it: passed, failed or error."""
    lines = out.splitlines()
    if format == "json":
        found = [json.loads(line) for line in lines]
        assert [Path(d["submission"]).name for d in found] == names
        return [d["status"] for d in found]
    if format == "csv":
        rows = list(csv.reader(io.StringIO(out)))[1:]
        assert [Path(row[1]).name for row in rows] == names
        return [row[2] for row in rows]
    if format == "exercism":  # one document per submission, in order; no names
        return [{"pass": "passed", "fail": "failed"}.get(json.loads(line)["status"], "error") for line in lines]
    if format == "gradescope":  # one document per submission, in order; no names or overall status
        found = [json.loads(line) for line in lines]
        return ["passed" if all(t["status"] == "passed" for t in d["tests"]) else "not passed" for d in found]
    headers = _TEXT_HEADER.findall(out)
    assert [Path(name).name for name, _ in headers] == names, headers
    return [status.lower() for _, status in headers]


@pytest.mark.parametrize("format", ["text", "json", "csv", "gradescope", "exercism"])
def test_a_batch_mixing_hostile_and_correct_submissions_gives_every_result_in_every_format(
    format: str, tmp_path: Path
) -> None:
    """The issue's "done when": with more jobs than cores, each correct submission passes and every result
    reaches the output, whatever its neighbours print, forge or hog, in each format of ``tracedojo grade``."""
    from typer.testing import CliRunner

    from tracedojo.cli import create_app

    files: dict[str, str] = {"spinner.py": SPINNER}
    for name in BATCH_HOSTILE:
        files[f"hostile_{name}.py"] = (HOSTILE / f"{name}.py").read_text(encoding="utf-8")
    for index, path in enumerate(BATCH_CORRECT):
        files[f"correct_{index}.py"] = path.read_text(encoding="utf-8")
    for name, code in files.items():
        (tmp_path / name).write_text(code, encoding="utf-8")
    names = sorted(files)
    jobs = max(4, (os.cpu_count() or 1) + 1)

    started = time.monotonic()
    result = CliRunner().invoke(
        create_app(with_platform=False),
        ["grade", "echo-once", str(tmp_path), "--format", format, "--jobs", str(jobs), "--seed", "7"],
        env={"COLUMNS": "400"},
    )
    assert time.monotonic() - started < 40, "the batch took longer than its submissions' limits allow"
    assert result.exit_code == 1, result.output  # some did not pass; no crash (that would be another code)
    out = result.stdout
    assert "\x1b" not in out and "\x9b" not in out and "\x07" not in out, "terminal controls reached the output"
    out.encode("utf-8")  # no lone surrogate
    statuses = _statuses(format, out, names)
    assert len(statuses) == len(names), out[-2000:]
    for name, status in zip(names, statuses, strict=True):
        if name.startswith("correct_"):
            assert status == "passed", f"{name}: {status}\n{out[-3000:]}"
        else:
            assert status != "passed", f"{name} passed\n{out[-3000:]}"
    if format == "json":
        limit_ms = Limits().submission_timeout * 1000  # the CLI grades with the default limits
        assert all(json.loads(line)["duration_ms"] < limit_ms for line in out.splitlines())
    if format == "text":
        assert "[/]" in out  # learner text shown as typed, not read as markup
        assert f"{len(names)} submissions: {len(BATCH_CORRECT)} passed," in out.splitlines()[-1]


@pytest.mark.parametrize("forged", [False, True])
def test_blocking_past_one_step_after_accepting_is_busy_however_many_rows_pass_meanwhile(
    forged: bool, exercise: Exercise
) -> None:
    """Rows that pass on what already arrived (the connection, the accept sent before the app blocked) add no
    time of their own: an app blocked for 1.6 s right after accepting has one 1 s step to pause in all, so the
    "waits for message" row finds it busy, with or without a forged "wait" report."""
    code = (HOSTILE / "forged_waiting.py").read_text(encoding="utf-8").replace("time.sleep(3)", "time.sleep(1.6)")
    if not forged:
        code = code.replace("    forge_waiting()\n", "")
    with Sandbox(Limits(step_timeout=1.0)) as sb:
        results = grade_source(exercise, code, sandbox=sb, seed=7)
    assert_verdict(results, _failed(3, "still busy", StepStatus.TIMEOUT))
    assert "paused in an `await`" not in results.message
    assert ("forged [1]" in results.output) is forged
    assert results.duration_ms < 1000 * 3 * 1.0 + 1500  # three rows' time at most, and a load
