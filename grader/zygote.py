"""The warm zygote: a sandboxed process that has imported FastAPI and forks one child per job.

Process tree (isolated mode)::

    launcher      unshares user(if not root)/mount/net/ipc/uts/pid namespaces, waits
    └── zygote    pid 1 of that pid namespace; builds a read-only root and pivots into it
        └── job   pid 1 of its own pid namespace: fresh /proc and /tmp, limits,
                  unprivileged uid, no capabilities; loads and serves the submission

Killing a job's pid 1 kills everything it started; the zygote dying kills every
job; the launcher dies with the grader (PDEATHSIG). The zygote never sees
expected answers: the trusted side keeps them and only sends client messages.
"""

from __future__ import annotations

import contextlib
import gc
import os
import resource
import selectors
import signal
import socket
import sys
import time
from typing import Any

from grader import _linux, _memory, _seccomp, protocol
from grader.messages import Exited

_ISOLATION_FLAGS = (
    _linux.CLONE_NEWNS | _linux.CLONE_NEWNET | _linux.CLONE_NEWIPC | _linux.CLONE_NEWUTS | _linux.CLONE_NEWPID
)
_SANDBOX_UID = 65534


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def _warm_imports() -> None:
    """Import what every submission needs so each fork starts with it loaded."""
    import asyncio  # noqa: F401
    import dataclasses  # noqa: F401
    import datetime  # noqa: F401
    import random  # noqa: F401
    import typing  # noqa: F401

    import anyio._backends._asyncio  # noqa: F401
    import fastapi
    import fastapi.routing
    import fastapi.websockets  # noqa: F401
    import pydantic  # noqa: F401
    import starlette.applications
    import starlette.endpoints
    import starlette.responses
    import starlette.routing
    import starlette.websockets  # noqa: F401

    import grader.child

    _skip_needless_pydantic_v1()
    grader.child.rehearse()
    gc.collect()
    gc.freeze()  # children then share these objects without the collector touching (copying) their pages


def _skip_needless_pydantic_v1() -> None:
    """FastAPI asks of every endpoint parameter whether its type is a pydantic.v1 model, and imports pydantic.v1
    to find out: about 40 ms in a forked child (each submission whose endpoint takes a parameter) or 1.8 MiB
    more in the zygote. No class is a pydantic.v1 model before something has imported pydantic.v1, so until
    then the answer is "no" without the import: the same answer, for the learner's code too."""
    try:
        from fastapi._compat import shared
    except ImportError:
        return
    original = getattr(shared, "is_pydantic_v1_model_class", None)
    if original is None:
        return

    def is_pydantic_v1_model_class(cls: Any) -> bool:
        return "pydantic.v1" in sys.modules and bool(original(cls))

    shared.is_pydantic_v1_model_class = is_pydantic_v1_model_class


# -- filesystem view ---------------------------------------------------------------------------


def _bind_paths(project_dirs: list[str]) -> list[str]:
    """Read-only bind mounts: the system's libraries, Python and its packages, the grader."""
    candidates = ["/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin"]
    candidates += [sys.base_prefix, sys.prefix, sys.exec_prefix]
    for entry in sys.path:
        if entry and os.path.isdir(entry) and "-packages" in entry:
            candidates.append(entry)
    candidates += project_dirs
    chosen: list[str] = []
    for path in sorted({os.path.realpath(c) if not os.path.islink(c) else c for c in candidates}, key=len):
        if not os.path.lexists(path):
            continue
        if any(path == c or path.startswith(c.rstrip("/") + "/") for c in chosen):
            continue
        chosen.append(path)
    return chosen


def _build_root(root: str, project_dirs: list[str], userns: bool) -> list[str]:
    """Pivot into a read-only tmpfs root holding only the bind mounts. Returns the bound paths that
    lie under /tmp: each job's private /tmp would hide them, so jobs bind them again on top."""
    _linux.mount(None, "/", None, _linux.MS_REC | _linux.MS_PRIVATE)
    _linux.mount("tmpfs", root, "tmpfs", _linux.MS_NOSUID | _linux.MS_NODEV, "size=4m,mode=0755")
    under_tmp = []
    for path in _bind_paths(project_dirs):
        target = root + path
        if os.path.islink(path):
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.symlink(os.readlink(path), target)
            continue
        os.makedirs(target, exist_ok=True)
        _bind_read_only(path, target)
        if path.startswith("/tmp/"):
            under_tmp.append(path)
    for name in ("proc", "tmp", "dev", "etc"):
        os.makedirs(f"{root}/{name}", exist_ok=True)
    os.chmod(f"{root}/tmp", 0o1777)
    # The zygote's own proc (its pid namespace only). Each job mounts its own over it; the kernel lets
    # an unprivileged user namespace mount proc only where a fully visible one already exists.
    _linux.mount("proc", f"{root}/proc", "proc", _linux.MS_NOSUID | _linux.MS_NODEV | _linux.MS_NOEXEC)
    for device in ("null", "zero", "random", "urandom"):
        open(f"{root}/dev/{device}", "w").close()
        _linux.mount(f"/dev/{device}", f"{root}/dev/{device}", None, _linux.MS_BIND)
    _write(f"{root}/etc/passwd", "learner:x:65534:65534:learner:/tmp:/bin/false\n")
    _write(f"{root}/etc/group", "learner:x:65534:\n")
    _write(f"{root}/etc/hosts", "127.0.0.1 localhost\n")
    os.chdir(root)
    _linux.pivot_root(".", ".")
    _linux.umount(".")
    os.chdir("/")
    _linux.mount(None, "/", None, _linux.MS_REMOUNT | _linux.MS_RDONLY | _linux.MS_NOSUID | _linux.MS_NODEV)
    return under_tmp


def _bind_read_only(source: str, target: str) -> None:
    _linux.mount(source, target, None, _linux.MS_BIND | _linux.MS_REC)
    flags = _linux.locked_mount_flags(source) | _linux.MS_NOSUID
    _linux.mount(None, target, None, _linux.MS_BIND | _linux.MS_REMOUNT | _linux.MS_RDONLY | flags)


def _private_tmp(size_kb: int, keep: list[str]) -> None:
    """A fresh /tmp for this job, with the read-only project paths that live under /tmp still in view."""
    held = [(path, os.open(path, os.O_PATH | os.O_DIRECTORY)) for path in keep]
    _linux.mount(
        "tmpfs", "/tmp", "tmpfs", _linux.MS_NOSUID | _linux.MS_NODEV, f"size={size_kb}k,nr_inodes=512,mode=1777"
    )
    for path, fd in held:
        os.makedirs(path, mode=0o755, exist_ok=True)
        _bind_read_only(f"/proc/self/fd/{fd}", path)
        os.close(fd)


# -- one job ----------------------------------------------------------------------------------


def _set_limits(limits: dict[str, Any]) -> None:
    with open("/proc/self/status") as f:
        vm_size_kb = next((int(line.split()[1]) for line in f if line.startswith("VmSize:")), 0)
    address_space = vm_size_kb * 1024 + int(limits["memory_mb"]) * 1024 * 1024
    cpu = int(limits["cpu_seconds"])
    for which, value in (
        (resource.RLIMIT_AS, (address_space, address_space)),
        (resource.RLIMIT_CPU, (cpu, cpu + 1)),
        (resource.RLIMIT_NPROC, (int(limits["processes"]),) * 2),
        (resource.RLIMIT_NOFILE, (int(limits["open_files"]),) * 2),
        (resource.RLIMIT_FSIZE, (int(limits["file_size_kb"]) * 1024,) * 2),
        (resource.RLIMIT_CORE, (0, 0)),
        (resource.RLIMIT_MEMLOCK, (0, 0)),
    ):
        resource.setrlimit(which, value)


def _job_main(config: dict[str, Any], control_fd: int, output_fd: int, uid: int) -> None:
    """In the job's process (pid 1 of its namespace when isolated). Never returns."""
    try:
        limits = config["limits"]
        isolated = bool(config["isolated"])
        # A session of its own is a scheduler autogroup of its own where the kernel has them (the default on
        # most distributions, /proc/sys/kernel/sched_autogroup_enabled): CPU time is divided between autogroups
        # first, so a submission spinning on 24 threads gets what one that sleeps would get, and no more than
        # the grader's own session (the zygote's and the runner's). Without autogroups its processes compete one
        # by one. (A cgroup v2 per job would do this, and memory too; these machines mount those controllers as
        # cgroup v1, so it is not used: see the README.)
        os.setsid()
        if isolated:
            _linux.mount("proc", "/proc", "proc", _linux.MS_NOSUID | _linux.MS_NODEV | _linux.MS_NOEXEC)
            _private_tmp(int(limits["tmp_size_kb"]), config.get("tmp_binds", []))
        null = os.open("/dev/null", os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(output_fd, 1)
        os.dup2(output_fd, 2)
        keep = {0, 1, 2, control_fd}
        for fd in map(int, os.listdir("/proc/self/fd")):
            if fd not in keep:
                with contextlib.suppress(OSError):
                    os.close(fd)
        _set_limits(limits)
        if isolated:
            if os.getuid() == 0 and not config["userns"]:
                os.setgroups([])
                os.setresgid(uid, uid, uid)
                os.setresuid(uid, uid, uid)
            else:
                _linux.drop_all_capabilities()
        _linux.prctl(_linux.PR_SET_NO_NEW_PRIVS, 1)
        if isolated:
            _seccomp.install()
        os.chdir("/tmp")
        os.environ.clear()
        sys.stdout = open(1, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115 (for the life of the child)
        sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
        sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.argv = ["submission"]
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        from grader import child

        child.serve(socket.socket(fileno=control_fd))
    except BaseException as exc:
        note = f"[grader] sandbox setup failed: {type(exc).__name__}: {exc}\n".encode()
        for fd in (output_fd, 2):
            try:
                os.write(fd, note)
                break
            except OSError:
                continue
        os._exit(70)
    os._exit(0)


def _set_policy(pid: int, policy: int) -> bool:
    """A child forked ahead sets itself up under SCHED_IDLE, so that work never slows the grading in
    progress (on two cores it otherwise competes with it); the zygote gives it the normal policy back
    when it hands it a submission."""
    try:
        os.sched_setscheduler(pid, policy, os.sched_param(0))
    except OSError:
        return False
    return True


class Zygote:
    def __init__(self, control: socket.socket, config: dict[str, Any]) -> None:
        self.control = control
        self.config = config
        self.jobs: dict[int, int] = {}  # pid -> job id
        self.pids: dict[int, int] = {}  # job id -> pid
        self.slots: dict[int, int] = {}  # pid -> uid slot
        self.uid_base = int(config.get("uid_base", 200000))
        # children forked ahead of demand: (pid, our end of its control socket, its output memfd)
        self.ready: list[tuple[int, socket.socket, int]] = []
        self.idle_prefork = True
        # the whole submission's memory: every process of a job together, on top of one warm interpreter
        self.memory_mb = int(config["limits"]["memory_mb"])
        base_kb = _memory._resident_kb(os.getpid())
        self.memory = _memory.MemoryWatch(self.memory_mb * 1024 + base_kb, isolated=bool(config["isolated"]))
        self.over_memory: set[int] = set()  # job pids killed by the memory watch
        self.watched = 0.0

    def _discard(self, pid: int, ours: socket.socket, output_fd: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        ours.close()
        os.close(output_fd)  # reap() collects it; it has no job, so nothing is reported

    def _free_slot(self) -> int:
        used = set(self.slots.values())
        return next(i for i in range(len(used) + 1) if i not in used)

    def prefork(self, *, ahead: bool = True) -> None:
        """Fork a child now so that a spawn request is answered without paying for the fork (``ahead``:
        for a later request, so it may set up at idle priority; otherwise for the request at hand)."""
        slot = self._free_slot()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        output_fd = os.memfd_create("output", os.MFD_CLOEXEC)
        read_end, write_end = os.pipe()
        middle = os.fork()
        if middle == 0:
            try:
                os.close(read_end)
                ours.close()
                if self.config["isolated"]:
                    # its own pid, mount, network and IPC namespaces: jobs graded at once cannot meet
                    _linux.unshare(_linux.CLONE_NEWPID | _linux.CLONE_NEWNS | _linux.CLONE_NEWNET | _linux.CLONE_NEWIPC)
                pid = os.fork()
                if pid == 0:
                    os.close(write_end)
                    _job_main(self.config, theirs.detach(), output_fd, self.uid_base + slot)
                if ahead and self.idle_prefork:
                    # Only the job sets up under SCHED_IDLE: this middle process, which the zygote waits for,
                    # keeps the normal policy, or a machine busy on every core would never run it and the
                    # zygote (and every spawn after) would wait forever.
                    _set_policy(pid, os.SCHED_IDLE)
                os.write(write_end, str(pid).encode())
            finally:
                os._exit(0)
        os.close(write_end)
        theirs.close()
        data = os.read(read_end, 32)
        os.close(read_end)
        os.waitpid(middle, 0)
        if not data:
            ours.close()
            os.close(output_fd)
            return
        pid = int(data)
        self.slots[pid] = slot
        self.ready.append((pid, ours, output_fd))

    def spawn(self, job: int) -> None:
        if not self.ready:
            self.prefork(ahead=False)
        if not self.ready:
            protocol.send_control(
                self.control,
                {
                    "t": "exited",
                    "job": job,
                    "code": None,
                    "signal": None,
                    "message": "the grader could not start the sandboxed process",
                    "grader_fault": True,
                },
            )
            return
        pid, ours, output_fd = self.ready.pop(0)
        if self.idle_prefork and not _set_policy(pid, os.SCHED_OTHER):
            # Cannot give it the normal policy back: never grade under SCHED_IDLE; prepare ahead normally.
            self.idle_prefork = False
            self._discard(pid, ours, output_fd)
            self.spawn(job)
            return
        self.jobs[pid] = job
        self.pids[job] = pid
        protocol.send_control(self.control, {"t": "spawned", "job": job, "pid": pid}, [ours.fileno(), output_fd])
        ours.close()
        os.close(output_fd)
        self.prefork()

    def kill(self, job: int) -> None:
        pid = self.pids.get(job)
        if pid is None:
            return
        try:
            if self.config["isolated"]:
                os.kill(pid, signal.SIGKILL)
            else:
                os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def reap(self) -> None:
        while True:
            try:
                pid, status, usage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.slots.pop(pid, None)
            self.ready = [entry for entry in self.ready if entry[0] != pid]
            job = self.jobs.pop(pid, None)
            if job is None:
                continue
            self.pids.pop(job, None)
            if not self.config["isolated"]:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
            code = os.waitstatus_to_exitcode(status)
            report: Exited = {
                "t": "exited",
                "job": job,
                "code": code if code >= 0 else None,
                "signal": -code if code < 0 else None,
                "peak_rss_kb": usage.ru_maxrss,
                "cpu_s": round(usage.ru_utime + usage.ru_stime, 4),
            }
            if pid in self.over_memory:
                self.over_memory.discard(pid)
                report["message"] = (
                    f"the sandboxed process was killed: your code's processes together used more than the "
                    f"{self.memory_mb} MB of memory a submission may use"
                )
            protocol.send_control(self.control, report)

    def watch_memory(self) -> None:
        """Kill each job whose processes together hold more memory than a submission may (see _memory)."""
        now = time.monotonic()
        if now - self.watched < _memory.INTERVAL:
            return
        self.watched = now
        for pid in self.memory.over_limit(list(self.jobs)):
            self.over_memory.add(pid)
            self.kill(self.jobs[pid])

    def serve(self) -> None:
        wake_read, wake_write = os.pipe()
        os.set_blocking(wake_write, False)
        os.set_blocking(wake_read, False)
        signal.set_wakeup_fd(wake_write)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        selector = selectors.DefaultSelector()
        selector.register(self.control, selectors.EVENT_READ, "control")
        selector.register(wake_read, selectors.EVENT_READ, "wake")
        self.prefork()
        protocol.send_control(self.control, {"t": "ready", "pid_namespace": self.config["isolated"]})
        while True:
            for key, _ in selector.select(_memory.INTERVAL if self.jobs else None):
                if key.data == "wake":
                    with contextlib.suppress(BlockingIOError):
                        os.read(wake_read, 4096)
                    self.reap()
                    continue
                message, _ = protocol.recv_control(self.control)
                if message is None:
                    return
                op = message.get("t")
                if op == "spawn":
                    self.spawn(int(message["job"]))
                elif op == "kill":
                    self.kill(int(message["job"]))
            self.reap()
            self.watch_memory()


def _isolate(config: dict[str, Any]) -> None:
    """In the launcher: enter fresh namespaces (a user namespace too when not root)."""
    userns = os.getuid() != 0
    config["userns"] = userns
    uid, gid = os.getuid(), os.getgid()
    _linux.unshare(_ISOLATION_FLAGS | (_linux.CLONE_NEWUSER if userns else 0))
    if userns:
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{_SANDBOX_UID} {uid} 1")
        _write("/proc/self/gid_map", f"{_SANDBOX_UID} {gid} 1")


def main(control_fd: int) -> None:
    control = socket.socket(fileno=control_fd)
    _linux.prctl(_linux.PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:
        os._exit(1)
    message, _ = protocol.recv_control(control)
    if message is None:
        return
    config: dict[str, Any] = message["config"]
    config.setdefault("userns", False)
    try:
        if config["isolated"]:
            _isolate(config)
    except OSError as exc:
        protocol.send_control(control, {"t": "failed", "message": f"cannot create namespaces ({exc.strerror})"})
        return
    launcher_pid = os.getpid()
    zygote = os.fork()
    if zygote != 0:
        control.close()
        _, status = os.waitpid(zygote, 0)
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
    _linux.prctl(_linux.PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() not in (launcher_pid, 0):  # 0: the launcher is outside our pid namespace
        os._exit(1)
    try:
        _warm_imports()
        if config["isolated"]:
            config["tmp_binds"] = _build_root(config["root_dir"], config["project_dirs"], config["userns"])
        _linux.prctl(_linux.PR_SET_CHILD_SUBREAPER, 1)  # jobs outlive their middle parent; we reap them
    except Exception as exc:
        protocol.send_control(control, {"t": "failed", "message": f"cannot set up the sandbox: {exc}"})
        os._exit(1)
    Zygote(control, config).serve()
    os._exit(0)
