"""The memory limit of a whole submission, where no cgroup enforces one: a watch kept by the zygote.

RLIMIT_AS (set on each job, see ``zygote._set_limits``) bounds one process. A submission may run many
(up to ``Limits.processes``), so the zygote also adds up the memory of all of a job's processes, every
``INTERVAL`` seconds, and kills the job when the sum passes the limit. A job's processes are those in its
pid namespace (isolated mode: no process can leave it) or in its session (``--no-sandbox``: a process
that calls setsid() escapes the sum there; that mode is for trusted code).

The sum is of proportional set sizes (PSS: a page shared by n processes counts 1/n in each), so pages the
job's processes share, with each other or with the warm zygote, count once. PSS costs a walk of the page
tables, so it is only read for a job whose plain resident sizes (cheap, but counting shared pages again in
every process) already add up to more than the limit. Between two looks a submission can allocate more: the
overshoot is bounded by what its processes allocate in ``INTERVAL`` (and each by RLIMIT_AS).
"""

from __future__ import annotations

import os
from collections.abc import Callable

INTERVAL = 0.05
_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def _resident_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * _PAGE_KB
    except (OSError, ValueError, IndexError):
        return 0


def _proportional_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return _resident_kb(pid)


def _pid_namespace(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return ""


def _session(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[3]
    except (OSError, IndexError):
        return ""


class MemoryWatch:
    """Sums each job's memory over all its processes; ``over_limit`` names the jobs past ``limit_kb``."""

    def __init__(self, limit_kb: int, *, isolated: bool) -> None:
        self.limit_kb = limit_kb
        self.group_of: Callable[[int], str] = _pid_namespace if isolated else _session

    def over_limit(self, jobs: list[int]) -> list[int]:
        """The job pids (as the zygote sees them) whose processes together use more than the limit."""
        if not jobs:
            return []
        job_of = {self.group_of(pid): pid for pid in jobs}
        job_of.pop("", None)
        members: dict[int, list[int]] = {pid: [] for pid in job_of.values()}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                job = job_of.get(self.group_of(int(entry)))
                if job is not None:
                    members[job].append(int(entry))
        over = []
        for job, pids in members.items():
            if sum(map(_resident_kb, pids)) <= self.limit_kb:
                continue
            if sum(map(_proportional_kb, pids)) > self.limit_kb:
                over.append(job)
        return over
