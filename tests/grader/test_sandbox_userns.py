"""The sandbox as an ordinary user: user namespaces instead of root's setuid.

When the suite runs as root (CI), the grading script runs as ``nobody`` in a
private mount namespace where the interpreter's directory is reachable (it may
live under a private home such as /root); otherwise it runs as the current user.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = r"""
import json, sys
from grader import Sandbox, Limits, grade_source, find_exercise
exercise = find_exercise("echo-once")
probe = '''
import ctypes, os, socket
libc = ctypes.CDLL(None, use_errno=True)
facts = {"uid": os.getuid(), "unshare": libc.unshare(0x10000000), "pid": os.getpid()}
try:
    socket.create_connection(("127.0.0.1", 9), timeout=1)
    facts["network"] = "reached"
except OSError:
    facts["network"] = "unreachable"
from fastapi import FastAPI, WebSocket
app = FastAPI()
@app.websocket("/ws")
async def ws(websocket: WebSocket):
    await websocket.accept()
    await websocket.send_text(__import__("json").dumps(facts))
'''
with Sandbox(Limits(step_timeout=1.0)) as sandbox:
    good = grade_source(exercise, exercise.source(exercise.reference), sandbox=sandbox)
    wrong = grade_source(exercise, exercise.source(exercise.variants[0].file), sandbox=sandbox)
    facts = grade_source(exercise, probe, sandbox=sandbox)
print(json.dumps({"good": good.status.value, "wrong": wrong.status.value,
                  "wrong_failed_at": wrong.failed_step().n if wrong.failed_step() else None,
                  "expected_fail": exercise.variants[0].fails_at, "probe": facts.steps[2].actual,
                  "outer_uid": __import__("os").getuid()}))
"""


def _blocked_ancestor(path: Path) -> Path | None:
    """The highest directory above ``path`` that other users cannot enter."""
    for ancestor in reversed(path.parents):
        if ancestor != Path("/") and not ancestor.stat().st_mode & stat.S_IXOTH:
            return ancestor
    return None


def _command(tmp_path: Path) -> list[str]:
    python = [sys.executable, "-c", SCRIPT]
    if os.getuid() != 0:
        return python
    if not shutil.which("setpriv") or not shutil.which("unshare"):
        pytest.fail("setpriv and unshare (util-linux) are needed to test the unprivileged sandbox as root")
    lines = ["set -e"]
    blocked = _blocked_ancestor(Path(sys.base_prefix))
    if blocked is not None:
        inner = Path(sys.base_prefix).relative_to(blocked).parts[0]
        keep = tmp_path / "keep"  # only root (before setpriv) touches these paths
        keep.mkdir()
        lines += [
            f"mount --bind {blocked / inner} {keep}",
            f"mount -t tmpfs -o mode=755 tmpfs {blocked}",
            f"mkdir -p {blocked / inner}",
            f"mount --bind {keep} {blocked / inner}",
        ]
    lines.append('exec setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"')
    wrapper = tmp_path / "as-nobody.sh"
    wrapper.write_text("\n".join(lines) + "\n")
    return ["unshare", "-m", "sh", str(wrapper), *python]


def test_grading_works_for_an_ordinary_user(tmp_path: Path) -> None:
    completed = subprocess.run(
        _command(tmp_path), capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[2]
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report["outer_uid"] != 0
    assert report["good"] == "passed"
    assert report["wrong"] == "failed"
    assert report["wrong_failed_at"] == report["expected_fail"]
    facts = json.loads(report["probe"].split("message ", 1)[1].strip("'\""))
    assert facts["uid"] != 0
    assert facts["pid"] == 1  # its own pid namespace
    assert facts["unshare"] == -1  # seccomp refuses new namespaces
    assert facts["network"] == "unreachable"
