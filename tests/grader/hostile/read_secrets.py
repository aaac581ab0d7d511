"""Tries to read the environment and secrets outside the sandbox, then answers correctly."""
import json
import os

from fastapi import FastAPI, WebSocket

app = FastAPI()
TARGETS = [
    "__CANARY_FILE__",
    "__REPO__/exercises/echo-once/solution.py",
    "__REPO__/pyproject.toml",
    "/etc/shadow",
    "/etc/hostname",
    "/root/.bash_history",
    "/proc/1/environ",
    "/proc/self/environ",
    "/proc/__HOST_PID__/environ",
    "/proc/1/root/etc/shadow",
    "/proc/self/root/etc/shadow",
]


def attempt(path):
    try:
        with open(path, "rb") as f:
            return "read:" + f.read(4096).decode("latin-1")
    except OSError as exc:
        return "denied:" + type(exc).__name__


def listing(path):
    try:
        return sorted(os.listdir(path))
    except OSError as exc:
        return "denied:" + type(exc).__name__


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    report = {
        "environ": dict(os.environ),
        "files": {path: attempt(path) for path in TARGETS},
        "dirs": {path: listing(path) for path in ["/", "/root", "/work", "__REPO__", "__CANARY_DIR__", "/home"]},
    }
    print("REPORT", json.dumps(report), flush=True)
    await websocket.send_text(f"Message text was: {data}")
