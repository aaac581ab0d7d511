"""Sends SIGKILL to every process it can, the grader's pid and the launcher, then answers correctly."""
import json
import os
import signal

from fastapi import FastAPI, WebSocket

app = FastAPI()


def attempt(pid, sig=signal.SIGKILL):
    try:
        os.kill(pid, sig)
        return "sent"
    except OSError as exc:
        return type(exc).__name__


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    report = {"pid": os.getpid(), "grader": attempt(int("__HOST_PID__")), "launcher": attempt(int("__LAUNCHER_PID__")),
              "all": attempt(-1), "group": attempt(0, signal.SIGTERM)}
    report["sweep"] = sorted({attempt(pid) for pid in range(2, 4096) if pid != os.getpid()})
    print("REPORT", json.dumps(report), flush=True)
    await websocket.send_text(f"Message text was: {data}")
