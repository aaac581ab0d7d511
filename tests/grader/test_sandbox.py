"""The sandbox itself: what a submission sees from inside, and how the zygote survives abuse.

Facts are observed from inside by a probe endpoint that prints ``FACTS {json}`` (the
captured output comes back in the results) and then answers correctly.
"""

from __future__ import annotations

import json
import os
import platform
import secrets
import shutil
import signal
import socket
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from grader import sandbox as sandbox_module
from grader.exercise import Exercise
from grader.grading import grade_source
from grader.limits import Limits
from grader.loader import find_exercise, load_exercise
from grader.results import Results, Status, StepStatus
from grader.sandbox import Sandbox, SandboxUnavailable

REPO = Path(__file__).resolve().parents[2]
SOLUTION = (REPO / "exercises" / "echo-once" / "solution.py").read_text(encoding="utf-8")
LIMITS = Limits(
    step_timeout=3.0,
    load_timeout=5.0,
    submission_timeout=20.0,
    cpu_seconds=5,
    memory_mb=160,
    processes=16,
    open_files=48,
    file_size_kb=512,
    tmp_size_kb=2048,
)

PROBE = """
import ctypes, fcntl, json, os, resource, socket, struct

from fastapi import FastAPI, WebSocket

app = FastAPI()


def error_of(function, *args):
    try:
        function(*args)
        return None
    except OSError as exc:
        return exc.errno


def write(path):
    with open(path, "w") as f:
        f.write("x")


def listing(path):
    try:
        return sorted(os.listdir(path))
    except OSError as exc:
        return exc.errno


def lo_is_up():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        flags = fcntl.ioctl(s, 0x8913, struct.pack("256s", b"lo"))  # SIOCGIFFLAGS
    return bool(struct.unpack_from("H", flags, 16)[0] & 1)  # IFF_UP


def connect(port):
    with socket.socket() as s:
        s.settimeout(0.5)
        return error_of(s.connect, ("127.0.0.1", port))


def status():
    with open("/proc/self/status") as f:
        return dict(line.rstrip("\\n").split(":\\t", 1) for line in f if ":\\t" in line)


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    st = status()
    facts = {
        "uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(), "groups": os.getgroups(),
        "pid": os.getpid(), "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
        "environ": dict(os.environ), "cwd": os.getcwd(),
        "root": listing("/"), "etc": listing("/etc"), "repo": listing(__REPO__), "tmp": listing("/tmp"),
        "write_root": error_of(write, "/probe"), "write_usr": error_of(write, "/usr/probe"),
        "write_tmp": error_of(write, "/tmp/probe-__TOKEN__"),
        "interfaces": [name for _, name in socket.if_nameindex()], "lo_up": lo_is_up(),
        "connect": connect(__PORT__),
        "rlimits": {name: resource.getrlimit(getattr(resource, "RLIMIT_" + name))
                    for name in ("NOFILE", "NPROC", "FSIZE", "CPU", "CORE")},
        "cap_eff": st["CapEff"], "cap_bnd": st["CapBnd"], "no_new_privs": st["NoNewPrivs"],
        "seccomp": st.get("Seccomp"),
    }
    print("FACTS", json.dumps(facts), flush=True)
    await websocket.send_text(f"Message text was: {data}")
"""


def _facts(results: Results) -> dict[str, Any]:
    for line in results.output.splitlines():
        if line.startswith("FACTS "):
            facts: dict[str, Any] = json.loads(line[6:])
            return facts
    raise AssertionError(f"no facts in the output: {results.message!r} {results.output[:500]!r}")


def _endpoint(body: str) -> str:
    """An echo-once endpoint that runs ``body`` (indented code) after receiving and answers correctly."""
    lines = "\n".join("    " + line for line in body.strip().splitlines())
    return (
        "import asyncio, json, os\n"
        "from fastapi import FastAPI, WebSocket\n"
        "app = FastAPI()\n\n"
        "@app.websocket('/ws')\n"
        "async def websocket_endpoint(websocket: WebSocket):\n"
        "    await websocket.accept()\n"
        "    data = await websocket.receive_text()\n"
        f"{lines}\n"
        "    await websocket.send_text(f'Message text was: {data}')\n"
    )


@pytest.fixture(scope="module")
def exercise() -> Exercise:
    return find_exercise("echo-once")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(LIMITS) as sb:
        yield sb


@pytest.fixture(scope="module")
def listener() -> Iterator[socket.socket]:
    server = socket.create_server(("127.0.0.1", 0))
    server.setblocking(False)
    yield server
    server.close()


@pytest.fixture(scope="module")
def token() -> str:
    return secrets.token_hex(6)


@pytest.fixture(scope="module")
def facts(sandbox: Sandbox, exercise: Exercise, listener: socket.socket, token: str) -> dict[str, Any]:
    code = PROBE.replace("__REPO__", repr(str(REPO))).replace("__PORT__", str(listener.getsockname()[1]))
    results = grade_source(exercise, code.replace("__TOKEN__", token), sandbox=sandbox, seed=3)
    assert results.status is Status.PASSED, results.message
    return _facts(results)


# -- what the child sees ----------------------------------------------------------------------


def test_child_runs_as_an_unprivileged_user(facts: dict[str, Any]) -> None:
    assert facts["uid"] == facts["euid"]
    assert facts["uid"] not in (0, os.getuid())
    assert facts["gid"] != 0
    assert facts["groups"] in ([], [facts["gid"]])


def test_child_has_no_capabilities_and_cannot_gain_any(facts: dict[str, Any]) -> None:
    assert int(facts["cap_eff"], 16) == 0
    assert facts["no_new_privs"] == "1"
    if platform.machine() == "x86_64":
        assert facts["seccomp"] == "2"  # a filter is installed


KERNEL_DOORS = """
import ctypes, errno, socket
libc = ctypes.CDLL(None, use_errno=True)

def socket_errno(make):
    try:
        make().close()
        return "opened"
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc.errno))

def syscall_errno(number, *args):
    result = libc.syscall(number, *args)
    return "ok" if result >= 0 else errno.errorcode.get(ctypes.get_errno(), "?")

buffer = ctypes.create_string_buffer(64)
print("FACTS", json.dumps({
    "vsock": socket_errno(lambda: socket.socket(40, socket.SOCK_STREAM)),
    "vsock_dgram": socket_errno(lambda: socket.socket(40, socket.SOCK_DGRAM)),
    "vsock_pair": socket_errno(lambda: socket.socketpair(40, socket.SOCK_STREAM)[0]),
    "unix_pair": socket_errno(lambda: socket.socketpair()[0]),
    "inet": socket_errno(lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM)),
    "modify_ldt": syscall_errno(154, 0, buffer, 64),
    "memfd_secret": syscall_errno(447, 0),
}))
"""


def test_seccomp_refuses_vsock_modify_ldt_and_memfd_secret(sandbox: Sandbox, exercise: Exercise) -> None:
    results = grade_source(exercise, _endpoint(KERNEL_DOORS), sandbox=sandbox, seed=3)
    assert results.status is Status.PASSED, results.message
    facts = _facts(results)
    assert platform.machine() == "x86_64", "the seccomp table (grader/_seccomp.py) covers x86_64 only"
    assert facts["vsock"] == facts["vsock_dgram"] == facts["vsock_pair"] == "EAFNOSUPPORT", facts
    assert facts["modify_ldt"] == "EPERM", facts
    assert facts["memfd_secret"] == "EPERM", facts
    # the families an endpoint uses still open
    assert facts["unix_pair"] == facts["inet"] == "opened", facts


def test_child_is_pid_1_of_its_own_namespace_and_sees_no_other_process(facts: dict[str, Any]) -> None:
    assert facts["pid"] == 1
    assert facts["pids"] == [1]


def test_environment_is_empty(facts: dict[str, Any]) -> None:
    assert facts["environ"] == {}


def test_root_filesystem_is_read_only_and_tmp_is_writable(facts: dict[str, Any]) -> None:
    assert facts["write_root"] == 30  # EROFS
    assert facts["write_usr"] == 30
    assert facts["write_tmp"] is None
    assert facts["cwd"] == "/tmp"


def test_filesystem_shows_python_and_the_grader_only(facts: dict[str, Any]) -> None:
    assert facts["etc"] == ["group", "hosts", "passwd"]
    assert {"proc", "tmp", "dev", "usr"} <= set(facts["root"])
    assert not {"root", "home", "var", "srv", "opt", "boot"} & set(facts["root"]) - {
        Path(p).parts[1] for p in (sys.base_prefix, sys.prefix) if len(Path(p).parts) > 1
    }
    assert isinstance(facts["repo"], list)
    assert "grader" in facts["repo"]
    assert not {"exercises", "tracedojo", "tests", "pyproject.toml", "migrations"} & set(facts["repo"])


def test_no_network(facts: dict[str, Any], listener: socket.socket) -> None:
    assert set(facts["interfaces"]) <= {"lo"}
    assert facts["lo_up"] is False
    assert facts["connect"] is not None  # ENETUNREACH: no route anywhere
    with pytest.raises(BlockingIOError):
        listener.accept()


def test_limits_are_applied(facts: dict[str, Any]) -> None:
    limits = facts["rlimits"]
    assert limits["NOFILE"] == [LIMITS.open_files] * 2
    assert limits["NPROC"] == [LIMITS.processes] * 2
    assert limits["FSIZE"] == [LIMITS.file_size_kb * 1024] * 2
    assert limits["CPU"][0] == LIMITS.cpu_seconds
    assert limits["CORE"] == [0, 0]


def test_tmp_is_private_to_each_submission(
    sandbox: Sandbox, exercise: Exercise, facts: dict[str, Any], token: str
) -> None:
    assert facts["write_tmp"] is None  # the probe wrote /tmp/probe-<token> in its own /tmp
    later = grade_source(
        exercise, _endpoint('print("FACTS", json.dumps({"tmp": os.listdir("/tmp")}))'), sandbox=sandbox, seed=3
    )
    assert later.status is Status.PASSED, later.message
    # Only the read-only way to the project and its packages may show, when they live under /tmp.
    assert set(_facts(later)["tmp"]) <= _first_dirs_under_tmp()
    assert f"probe-{token}" not in _facts(later)["tmp"]
    assert not Path(f"/tmp/probe-{token}").exists()


def _first_dirs_under_tmp() -> set[str]:
    roots = [Path(sandbox_module.__file__).resolve().parents[1], Path(sys.prefix).resolve()]
    return {root.relative_to("/tmp").parts[0] for root in roots if root.is_relative_to("/tmp")}


def test_concurrent_children_are_separate_users(sandbox: Sandbox, exercise: Exercise) -> None:
    code = _endpoint('await asyncio.sleep(0.8)\nprint("FACTS", json.dumps({"uid": os.getuid()}))')
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda seed: grade_source(exercise, code, sandbox=sandbox, seed=seed), range(4)))
    assert [r.status for r in results] == [Status.PASSED] * 4, [r.message for r in results]
    uids = [_facts(r)["uid"] for r in results]
    assert len(set(uids)) == 4, uids


def test_expected_answers_never_reach_the_child(sandbox: Sandbox, tmp_path: Path) -> None:
    """The child scans its whole memory for the reply the grader expects; it must not be there."""
    secret = secrets.token_hex(16)
    folder = tmp_path / "echo-secret"
    shutil.copytree(REPO / "exercises" / "echo-once", folder)
    data_file = folder / "exercise.yaml"
    data = yaml.safe_load(data_file.read_text(encoding="utf-8"))
    data["slug"] = "echo-secret"
    for row in data["execution_table"]:
        for index, action in enumerate(row["check"]):
            if isinstance(action, dict) and "expect_text" in action:
                row["check"][index] = {"expect_text": f"Answer-{secret}: {{data}}"}
    data_file.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    secret_exercise = load_exercise(folder)
    scan = r"""
import ctypes, re
ctypes.CDLL(None).prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE: lets the child read its own /proc/self/mem
decoy = "Answer-" + "ab" * 16  # proves the scan finds what is in memory
found = []
with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb", buffering=0) as mem:
    for line in maps:
        span, perms = line.split()[:2]
        if "r" not in perms or line.rstrip().endswith(("[vvar]", "[vsyscall]")):
            continue
        start, end = (int(x, 16) for x in span.split("-"))
        try:
            mem.seek(start)
            chunk = mem.read(end - start)
        except (OSError, OverflowError, ValueError):
            continue
        found += [m.decode() for m in re.findall(rb"Answer-[0-9a-f]{32}", chunk)]
print("FACTS", json.dumps({"found": sorted(set(found))}))
await websocket.send_text(f"Answer-{'0' * 32}: {data}")
"""
    results = grade_source(secret_exercise, _endpoint(scan), sandbox=sandbox, seed=3)
    found = _facts(results)["found"]
    assert "Answer-" + "ab" * 16 in found
    assert f"Answer-{secret}" not in found
    assert results.status is Status.FAILED  # it could only guess


# -- time and CPU -----------------------------------------------------------------------------


def test_submission_deadline_bounds_a_hung_endpoint(exercise: Exercise) -> None:
    with Sandbox(Limits(step_timeout=10.0, submission_timeout=1.0)) as sb:
        started = time.monotonic()
        results = grade_source(exercise, _endpoint("await asyncio.sleep(60)"), sandbox=sb, seed=3)
    assert time.monotonic() - started < 5.0
    assert results.status is Status.FAILED
    failed = next(s for s in results.steps if s.status is not StepStatus.PASSED)
    assert failed.n == 5 and failed.status is StepStatus.TIMEOUT


def test_cpu_limit_ends_a_spinning_child(exercise: Exercise) -> None:
    with Sandbox(Limits(step_timeout=20.0, submission_timeout=30.0, cpu_seconds=1)) as sb:
        started = time.monotonic()
        results = grade_source(exercise, _endpoint("while True:\n    pass"), sandbox=sb, seed=3)
        assert time.monotonic() - started < 10.0
        assert results.status is Status.FAILED
        assert "CPU time limit" in results.message or "SIGKILL" in results.message, results.message
        assert grade_source(exercise, SOLUTION, sandbox=sb, seed=3).status is Status.PASSED


# -- the zygote's life ------------------------------------------------------------------------


def _zygote_pid(sb: Sandbox) -> int:
    assert sb._process is not None
    with open(f"/proc/{sb._process.pid}/task/{sb._process.pid}/children") as f:
        children = [int(pid) for pid in f.read().split()]
    assert len(children) == 1
    return children[0]


def _policy(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[38])  # field 41, after the command name


def test_children_prepare_ahead_on_idle_cpu_and_grade_with_the_normal_policy(exercise: Exercise) -> None:
    with Sandbox(LIMITS) as sb:
        results = grade_source(exercise, _endpoint("print('POLICY', os.sched_getscheduler(0))"), sandbox=sb, seed=3)
        assert results.status is Status.PASSED, results.message
        assert f"POLICY {os.SCHED_OTHER}" in results.output
        zygote = _zygote_pid(sb)
        deadline = time.monotonic() + 10
        while True:  # the graded child is being reaped; the one forked ahead stays
            with open(f"/proc/{zygote}/task/{zygote}/children") as f:
                spares = [int(pid) for pid in f.read().split()]
            if len(spares) == 1 or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        assert len(spares) == 1, spares
        assert _policy(spares[0]) == os.SCHED_IDLE


def test_sandbox_restarts_after_its_launcher_is_killed(exercise: Exercise) -> None:
    with Sandbox(LIMITS) as sb:
        assert sb._process is not None
        sb._process.kill()
        sb._process.wait()
        results = grade_source(exercise, SOLUTION, sandbox=sb, seed=3)
        assert results.status is Status.PASSED, results.message
        assert sb.restarts == 1


def test_sandbox_restarts_after_its_zygote_is_killed(exercise: Exercise) -> None:
    with Sandbox(LIMITS) as sb:
        assert sb._process is not None
        os.kill(_zygote_pid(sb), signal.SIGKILL)
        sb._process.wait(timeout=5)  # the launcher follows its zygote
        results = grade_source(exercise, SOLUTION, sandbox=sb, seed=3)
        assert results.status is Status.PASSED, results.message
        assert sb.restarts == 1


def test_zygote_killed_while_grading_gives_a_failed_result_not_a_hang(exercise: Exercise) -> None:
    with Sandbox(Limits(step_timeout=5.0)) as sb:
        zygote = _zygote_pid(sb)
        code = _endpoint("import time\ntime.sleep(30)")
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(grade_source, exercise, code, sandbox=sb, seed=3)
            time.sleep(1.0)
            os.kill(zygote, signal.SIGKILL)
            results = pending.result(timeout=15)
        assert results.status is not Status.PASSED
        assert grade_source(exercise, SOLUTION, sandbox=sb, seed=3).status is Status.PASSED


def test_closing_the_sandbox_ends_every_process(exercise: Exercise) -> None:
    sb = Sandbox(LIMITS).start()
    assert sb._process is not None
    launcher, zygote = sb._process.pid, _zygote_pid(sb)
    sb.close()
    deadline = time.monotonic() + 5
    while any(Path(f"/proc/{pid}").exists() for pid in (launcher, zygote)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(f"/proc/{launcher}").exists() and not Path(f"/proc/{zygote}").exists()


# -- refusing, and the explicit --no-sandbox --------------------------------------------------

_REFUSE_NAMESPACES = (
    "import sys; sys.path.insert(0, {root!r}); import errno, grader._linux as L; "
    "L.unshare = lambda flags: (_ for _ in ()).throw(OSError(errno.EPERM, 'Operation not permitted')); "
    "from grader.zygote import main; main({fd})"
)


def test_refuses_with_a_clear_message_when_namespaces_are_refused(
    monkeypatch: pytest.MonkeyPatch, exercise: Exercise
) -> None:
    monkeypatch.setattr(sandbox_module, "_BOOT", _REFUSE_NAMESPACES)
    sb = Sandbox(LIMITS)
    with pytest.raises(SandboxUnavailable) as refused:
        grade_source(exercise, SOLUTION, sandbox=sb)
    message = str(refused.value)
    assert "cannot create namespaces" in message and "Operation not permitted" in message
    assert "--no-sandbox" in message and "user namespaces" in message
    sb.close()


def test_no_sandbox_mode_grades_like_the_sandbox(exercise: Exercise) -> None:
    wrong = (REPO / "exercises" / "echo-once" / "wrong" / "wrong_text.py").read_text(encoding="utf-8")
    hard_coded = (REPO / "exercises" / "echo-once" / "wrong" / "hard_coded.py").read_text(encoding="utf-8")
    with Sandbox(LIMITS, isolated=False) as sb:
        assert grade_source(exercise, SOLUTION, sandbox=sb, seed=3).status is Status.PASSED
        assert grade_source(exercise, wrong, sandbox=sb, seed=3).status is Status.FAILED
        replayed = grade_source(exercise, hard_coded, sandbox=sb, seed=3)
        assert replayed.status is Status.FAILED and "Replayed" in replayed.message
        facts = _facts(
            grade_source(
                exercise, _endpoint('print("FACTS", json.dumps({"env": dict(os.environ)}))'), sandbox=sb, seed=3
            )
        )
        assert facts["env"] == {}  # even trusted mode does not hand the grader's environment over
