"""Tries to become root: setuid/setgid, new namespaces, remounting / writable, then answers correctly."""
import ctypes
import json
import os

from fastapi import FastAPI, WebSocket

app = FastAPI()
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWNET = 0x00020000, 0x10000000, 0x40000000


def attempt(function, *args):
    try:
        function(*args)
        return "ok"
    except OSError as exc:
        return type(exc).__name__


def unshare(flags):
    if libc.unshare(flags) != 0:
        raise OSError(ctypes.get_errno(), "unshare")


def remount_root_writable():
    if libc.mount(None, b"/", None, 32 | 4096, None) != 0:  # MS_REMOUNT | MS_BIND, read-write
        raise OSError(ctypes.get_errno(), "mount")


def write(path):
    with open(path, "w") as f:
        f.write("owned by __TOKEN__")


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    report = {
        "setuid": attempt(os.setuid, 0),
        "setgid": attempt(os.setgid, 0),
        "setresuid": attempt(os.setresuid, 0, 0, 0),
        "unshare_net": attempt(unshare, CLONE_NEWNET),
        "unshare_ns": attempt(unshare, CLONE_NEWNS),
        "chroot": attempt(os.chroot, "/tmp"),
    }
    if os.fork() == 0:  # a user namespace, where the child is "root" over nothing it did not create
        inner = {"unshare_user": attempt(unshare, CLONE_NEWUSER | CLONE_NEWNS)}
        inner["remount_root"] = attempt(remount_root_writable)
        inner["write_root"] = attempt(write, "/owned")
        inner["write_grader"] = attempt(write, "__REPO__/grader/owned-__TOKEN__.py")
        print("REPORT-USERNS", json.dumps(inner), flush=True)
        os._exit(0)
    os.wait()  # noqa: ASYNC222 - the forked probe exits at once
    report["uid"] = os.getuid()
    print("REPORT", json.dumps(report), flush=True)
    await websocket.send_text(f"Message text was: {data}")
