"""Thin ctypes wrappers for the Linux calls the sandbox needs and Python 3.11 lacks."""

from __future__ import annotations

import ctypes
import os
import platform

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_NOATIME = 1024
MS_NODIRATIME = 2048
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MS_RELATIME = 1 << 21
MNT_DETACH = 2

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_CAPBSET_DROP = 24
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38

_SYSCALLS = {
    "x86_64": {"pivot_root": 155, "capset": 126},
    "aarch64": {"pivot_root": 41, "capset": 91},
}

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
_libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _syscall_number(name: str) -> int | None:
    return _SYSCALLS.get(platform.machine(), {}).get(name)


def unshare(flags: int) -> None:
    _check(_libc.unshare(flags), "unshare")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(
        _libc.mount(
            source.encode() if source else None,
            target.encode(),
            fstype.encode() if fstype else None,
            flags,
            data.encode() if data else None,
        ),
        f"mount {target}",
    )


def umount(target: str, flags: int = MNT_DETACH) -> None:
    _check(_libc.umount2(target.encode(), flags), f"umount {target}")


def prctl(option: int, arg: int = 0) -> None:
    _check(_libc.prctl(option, arg, 0, 0, 0), f"prctl {option}")


def pivot_root(new_root: str, put_old: str) -> None:
    number = _syscall_number("pivot_root")
    if number is None:
        os.chroot(new_root)
        return
    _check(_libc.syscall(number, new_root.encode(), put_old.encode()), "pivot_root")


def drop_all_capabilities() -> None:
    """Empty every capability set (and the bounding set) of this process."""
    for cap in range(64):
        if _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            break
    number = _syscall_number("capset")
    if number is None:
        raise OSError(0, f"no capset syscall number for {platform.machine()}")

    class _Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class _Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]

    header = _Header(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (_Data * 2)()
    _check(_libc.syscall(number, ctypes.byref(header), ctypes.byref(data)), "capset")


def locked_mount_flags(path: str) -> int:
    """Flags a read-only remount must keep (the kernel refuses to clear them in a user namespace)."""
    f = os.statvfs(path).f_flag
    flags = 0
    for st, ms in (
        (1, MS_RDONLY),
        (2, MS_NOSUID),
        (4, MS_NODEV),
        (8, MS_NOEXEC),
        (1024, MS_NOATIME),
        (2048, MS_NODIRATIME),
        (4096, MS_RELATIME),
    ):
        if f & st:
            flags |= ms
    return flags


# -- what the kernel says about another process (read from /proc) ------------------------------

_EPOLL_WAITS = {
    "x86_64": frozenset({232, 281, 441}),  # epoll_wait, epoll_pwait, epoll_pwait2
    "aarch64": frozenset({22, 441}),  # epoll_pwait, epoll_pwait2
}


def children_of(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except (OSError, ValueError):
        return []


def namespace_pids(pid: int) -> list[int]:
    """The process's pid in its own pid namespace and in each one above it, outermost first."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("NSpid:"):
                    return [int(p) for p in line.split()[1:]]
    except (OSError, ValueError):
        pass
    return []


def main_thread_idle(pid: int) -> bool | None:
    """Whether the process's main thread is blocked in epoll, which is where an asyncio event loop waits
    when it has nothing to run: True idle, False running or blocked elsewhere (time.sleep, a lock, a
    read), None when the kernel will not say (another machine type, no permission, the process gone)."""
    waits = _EPOLL_WAITS.get(platform.machine())
    if waits is None:
        return None
    try:
        with open(f"/proc/{pid}/syscall") as f:
            first = f.read().split(maxsplit=1)
    except OSError:
        return None
    if not first or first[0] == "-1":
        # in the kernel outside any system call: a page fault (busy), or it has exited (a zombie)
        return None if not first or _state(pid) in ("Z", "X", "") else False
    if first[0] == "running":
        return False
    try:
        return int(first[0]) in waits
    except ValueError:
        return None


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return ""


# -- "nothing can happen in there": the kernel's facts behind ending a "no message" window early ----------

# The epoll waits whose timeout argument means "forever": the 4th argument, -1 (an int, so only its low 32 bits
# count) for epoll_wait and epoll_pwait; a NULL timespec pointer for epoll_pwait2.
_INFINITE_WAIT = {
    "x86_64": {232: "int", 281: "int", 441: "pointer"},
    "aarch64": {22: "int", 441: "pointer"},
}
_SIGALRM_BIT = 1 << (14 - 1)  # the signal an interval timer (setitimer/alarm, not listed in /proc) delivers
# What a descriptor of a quiet child may be: none of these can become ready by itself as time passes (a timerfd,
# an inotify watch on the shared read-only root, or another process's pidfd could).
_INERT_FDS = ("socket:[", "pipe:[", "anon_inode:[eventpoll]", "anon_inode:[eventfd]", "/")


def blocked_forever(pid: int) -> tuple[int, int] | None:
    """If the process can do nothing more until something from outside wakes it, a token of that state (its
    context-switch counts: equal tokens read twice mean it did not run in between); else None.

    Quiet means, all read from the kernel: one thread, blocked in an epoll wait with no timeout; pid 1 of its
    own pid namespace (the kernel drops signals an init has no handler for, so an interval timer's SIGALRM
    cannot end it), with no handler for SIGALRM (the interval timer ``setitimer`` sets, which /proc does not
    list), no signal blocked (a blocked one is queued, not dropped) and none pending. ``nothing_scheduled``
    checks the rest (children, POSIX timers, descriptors).
    """
    kinds = _INFINITE_WAIT.get(platform.machine())
    if kinds is None:
        return None
    try:
        with open(f"/proc/{pid}/syscall") as f:
            fields = f.read().split()
        with open(f"/proc/{pid}/status") as f:
            status = dict(line.split(":", 1) for line in f if ":" in line)
        number = int(fields[0])
        timeout = int(fields[4], 16)
        kind = kinds.get(number)
        if kind is None or (timeout & 0xFFFFFFFF != 0xFFFFFFFF if kind == "int" else timeout != 0):
            return None
        if status["Threads"].strip() != "1" or status["NSpid"].split()[-1] != "1":
            return None
        if int(status["SigPnd"], 16) or int(status["ShdPnd"], 16) or int(status["SigCgt"], 16) & _SIGALRM_BIT:
            return None
        if int(status["SigBlk"], 16):
            return None  # a blocked signal is queued even without a handler (for a signalfd, or for later)
        return int(status["voluntary_ctxt_switches"]), int(status["nonvoluntary_ctxt_switches"])
    except (OSError, ValueError, IndexError, KeyError):
        return None


def nothing_scheduled(pid: int) -> bool:
    """No child process, no POSIX timer, and only descriptors that stay as they are until written to (see
    ``_INERT_FDS``), with no TCP socket (whose own timers could make one ready). False if anything is
    unreadable."""
    try:
        if children_of(pid) or not os.path.exists(f"/proc/{pid}/timers"):
            return False
        with open(f"/proc/{pid}/timers") as f:
            if f.read().strip():
                return False
        for name in ("tcp", "tcp6"):
            with open(f"/proc/{pid}/net/{name}") as f:
                if len(f.read().splitlines()) > 1:
                    return False
        for fd in os.listdir(f"/proc/{pid}/fd"):
            if not os.readlink(f"/proc/{pid}/fd/{fd}").startswith(_INERT_FDS):
                return False
    except OSError:
        return False
    return True
