"""Trusted side of the sandbox: starts the warm zygote and hands out sandboxed children."""

from __future__ import annotations

import collections
import contextlib
import itertools
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

from grader import _linux, protocol
from grader.limits import Limits
from grader.messages import ControlMessage

_PROJECT_ROOT = str(Path(__file__).resolve().parent.parent)
_BOOT = "import sys; sys.path.insert(0, {root!r}); from grader.zygote import main; main({fd})"
_START_TIMEOUT = 60.0
_SPAWN_TIMEOUT = 15.0
_IDLE_POLL = 0.002


class SandboxUnavailable(RuntimeError):
    """The machine cannot isolate untrusted code; says why and what to do."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return (
            f"the grading sandbox cannot be set up on this machine: {self.reason}. "
            "It needs Linux namespaces: run as root, or enable unprivileged user namespaces "
            "(sysctl kernel.unprivileged_userns_clone=1 / user.max_user_namespaces > 0). "
            "For your own trusted code only, `--no-sandbox` grades without isolation."
        )


class ChildExit:
    """How a sandboxed child ended."""

    def __init__(
        self,
        code: int | None,
        signal: int | None,
        message: str = "",
        peak_rss_kb: int = 0,
        cpu_s: float = 0.0,
        *,
        grader_fault: bool = False,
    ) -> None:
        self.code = code
        self.signal = signal
        self.message = message
        self.peak_rss_kb = peak_rss_kb
        self.cpu_s = cpu_s
        # The grader's own machinery ended it (the zygote stopped or was restarted, a spawn failed), not the
        # submission: such a grading is retried and never blamed on the learner.
        self.grader_fault = grader_fault

    def describe(self) -> str:
        if self.message:
            return self.message
        if self.signal is not None:
            import signal as signals

            try:
                name = signals.Signals(self.signal).name
            except ValueError:
                name = f"signal {self.signal}"
            hints = {
                "SIGKILL": " (killed: a limit was reached or the grader stopped it)",
                "SIGSEGV": " (a crash inside the interpreter)",
                "SIGXCPU": " (CPU time limit)",
            }
            return f"the sandboxed process was ended by {name}{hints.get(name, '')}"
        return f"the sandboxed process exited with status {self.code}"


class SandboxedChild:
    """One submission's process: a control socket, per-connection sockets, captured output."""

    def __init__(self, sandbox: Sandbox, job: int, control: socket.socket, output_fd: int, pid: int = 0) -> None:
        self.sandbox = sandbox
        self.job = job
        self.control = control
        self.output_fd = output_fd
        self.pid = pid  # in the zygote's pid namespace
        self.exited: Future[ChildExit] = sandbox._exit_future(job)
        self._host_pid: int | None = None
        self._looked_up = False

    def host_pid(self) -> int | None:
        """The child's pid as this process sees it (None if it cannot be found, or is gone)."""
        if not self._looked_up:
            self._looked_up = True
            self._host_pid = self.sandbox._host_pid_of(self.pid)
        return self._host_pid

    def loop_idle(self, until: float, gone: Callable[[], bool] = lambda: False) -> bool:
        """Whether the child's event loop is idle, waiting in the kernel for something to happen; checks
        until ``until`` (monotonic) for it to become so. The kernel's word, which learner code cannot
        forge short of blocking in epoll itself. True when the state cannot be read (then only the
        child's own report says it waits; see ``_linux.main_thread_idle``), or once ``gone()`` says the
        connection is over (what comes next on it decides then)."""
        pid = self.host_pid()
        while True:
            idle = _linux.main_thread_idle(pid) if pid is not None else None
            if idle is None or idle or gone():
                return True
            if time.monotonic() >= until:
                return False
            time.sleep(_IDLE_POLL)

    def open_connection(self, scope: dict[str, Any]) -> socket.socket:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            protocol.send_control(self.control, {"t": "connect", "scope": scope}, [theirs.fileno()])
        finally:
            theirs.close()
        return ours

    def output(self, limit: int) -> str:
        data = os.pread(self.output_fd, limit + 1, 0)
        text = data[:limit].decode("utf-8", errors="replace")
        if len(data) > limit:
            text += "\n[output truncated]"
        return text

    def kill(self) -> None:
        # The zygote may be gone, and every child died with it.
        with contextlib.suppress(OSError, RuntimeError):
            self.sandbox._send({"t": "kill", "job": self.job})

    def close(self, wait: float = 5.0) -> ChildExit | None:
        """Kill the child and everything it started; wait for the zygote to confirm."""
        self.kill()
        try:
            self.control.close()
        finally:
            os.close(self.output_fd)
        try:
            return self.exited.result(timeout=wait)
        except FutureTimeout:
            return None


class Sandbox:
    """A warm, isolated zygote that forks one sandboxed child per submission.

    Thread-safe: several threads may grade through one Sandbox at once. If the
    zygote dies it is restarted on the next spawn. ``isolated=False`` is the
    explicit ``--no-sandbox`` for trusted local use: a separate process with
    limits, but no namespaces and no change of user.
    """

    def __init__(self, limits: Limits | None = None, *, isolated: bool = True) -> None:
        self.limits = limits or Limits()
        self.isolated = isolated
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._control: socket.socket | None = None
        self._root_dir: str | None = None
        self._jobs = itertools.count(1)
        self._spawned: dict[int, Future[tuple[int, list[int]]]] = {}
        self._exits: dict[int, Future[ChildExit]] = {}
        self._owners: dict[int, socket.socket] = {}  # job -> control socket of the zygote that runs it
        self.restarts = 0
        self.recent_exits: collections.deque[ChildExit] = collections.deque(maxlen=1024)  # for benchmarks

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> Sandbox:
        with self._lock:
            if not self._alive():
                self._start_locked()
        return self

    def _alive(self) -> bool:
        return self._process is not None and self._process.poll() is None and self._control is not None

    def _start_locked(self) -> None:
        if self._process is not None:
            self.restarts += 1
            self._stop_locked()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        os.set_inheritable(theirs.fileno(), True)
        self._root_dir = tempfile.mkdtemp(prefix="tracedojo-root-")  # the zygote mounts its root here
        config = {
            "root_dir": self._root_dir,
            "isolated": self.isolated,
            "limits": self.limits.model_dump(),
            "project_dirs": [str(Path(__file__).resolve().parent)],
            # distinct uids per zygote and per concurrent job (root only): separate process counts
            "uid_base": 200000 + secrets.randbelow(40000) * 64,
        }
        process = subprocess.Popen(
            [sys.executable, "-X", "utf8", "-I", "-B", "-c", _BOOT.format(root=_PROJECT_ROOT, fd=theirs.fileno())],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={},
            pass_fds=(theirs.fileno(),),
        )
        theirs.close()
        protocol.send_control(ours, {"t": "config", "config": config})
        ours.settimeout(_START_TIMEOUT)
        try:
            reply, _ = protocol.recv_control(ours)
        except OSError:
            reply = None
        if reply is None or reply.get("t") != "ready":
            process.kill()
            stderr = process.communicate()[1].decode(errors="replace").strip().splitlines()
            ours.close()
            reason = (reply or {}).get("message") or (stderr[-1] if stderr else "the zygote did not start")
            os.rmdir(self._root_dir)
            self._root_dir = None
            raise SandboxUnavailable(str(reason))
        ours.settimeout(None)
        self._process, self._control = process, ours
        threading.Thread(target=self._read_events, args=(ours,), name="sandbox-events", daemon=True).start()

    def close(self) -> None:
        with self._lock:
            self._stop_locked()

    def _stop_locked(self) -> None:
        process, control = self._process, self._control
        self._process, self._control = None, None
        if control is not None:
            control.close()
        if process is not None:
            process.kill()
            process.wait()
            if process.stderr:
                process.stderr.close()
        if self._root_dir is not None:
            with contextlib.suppress(OSError):
                os.rmdir(self._root_dir)
            self._root_dir = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- events from the zygote ---------------------------------------------------------------

    def _read_events(self, control: socket.socket) -> None:
        while True:
            try:
                message, fds = protocol.recv_control(control, maxfds=2)
            except (OSError, protocol.ProtocolViolation):
                message, fds = None, []
            if message is None:
                break
            job = int(message.get("job", 0))
            if message.get("t") == "spawned" and len(fds) == 2:
                self._future(self._spawned, job).set_result((int(message["pid"]), fds))
            elif message.get("t") == "exited":
                exit_ = ChildExit(
                    message.get("code"),
                    message.get("signal"),
                    message.get("message") or "",
                    int(message.get("peak_rss_kb") or 0),
                    float(message.get("cpu_s") or 0.0),
                    grader_fault=bool(message.get("grader_fault")),
                )
                self._resolve_exit(job, exit_)
                spawned = self._spawned.pop(job, None)
                if spawned is not None and not spawned.done():
                    spawned.set_exception(RuntimeError(exit_.describe()))
        # only this zygote's jobs: after a restart, newer jobs belong to the new zygote's reader
        with self._lock:
            mine = {job for job, owner in list(self._owners.items()) if owner is control}
            pending = [job for job, f in self._exits.items() if not f.done() and job in mine]
        for job in pending:
            self._resolve_exit(
                job, ChildExit(None, None, "the grader's sandbox stopped while the submission ran", grader_fault=True)
            )
        for job, future in list(self._spawned.items()):
            if job in mine and not future.done():
                future.set_exception(RuntimeError("the sandbox stopped"))

    def _future(self, table: dict[int, Future[Any]], job: int) -> Future[Any]:
        with self._send_lock:
            return table.setdefault(job, Future())

    def _exit_future(self, job: int) -> Future[ChildExit]:
        return self._future(self._exits, job)

    def _resolve_exit(self, job: int, exit_: ChildExit) -> None:
        self.recent_exits.append(exit_)
        future = self._future(self._exits, job)
        if not future.done():
            future.set_result(exit_)
        with self._send_lock:
            self._exits.pop(job, None)
            self._owners.pop(job, None)

    def _send(self, message: ControlMessage, fds: list[int] | None = None) -> None:
        control = self._control
        if control is None:
            raise RuntimeError("the sandbox is not running")
        with self._send_lock:
            protocol.send_control(control, message, fds)

    # -- children -----------------------------------------------------------------------------

    def _host_pid_of(self, pid: int) -> int | None:
        """A child's pid in our namespace, from its pid in the zygote's: the zygote reaps its children,
        so the child is one of the zygote's, and the kernel lists each process's pid in every namespace."""
        process = self._process
        if process is None:
            return None
        for zygote in _linux.children_of(process.pid):
            depth = len(_linux.namespace_pids(zygote))
            for candidate in _linux.children_of(zygote):
                pids = _linux.namespace_pids(candidate)
                if depth and len(pids) >= depth and pids[depth - 1] == pid:
                    return candidate
        return None

    def spawn(self) -> SandboxedChild:
        """A fresh sandboxed child, ready to receive a ``load`` message."""
        for attempt in range(2):
            with self._lock:
                if not self._alive():
                    self._start_locked()
                job = next(self._jobs)
                assert self._control is not None
                self._owners[job] = self._control
            spawned = self._future(self._spawned, job)
            self._exit_future(job)
            try:
                self._send({"t": "spawn", "job": job})
                pid, (control_fd, output_fd) = spawned.result(timeout=_SPAWN_TIMEOUT)
            except (OSError, RuntimeError, FutureTimeout):
                with self._lock:
                    self._stop_locked()
                if attempt:
                    raise
                continue
            finally:
                self._spawned.pop(job, None)
            control = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET, fileno=control_fd)
            return SandboxedChild(self, job, control, output_fd, pid)
        raise AssertionError("unreachable")
