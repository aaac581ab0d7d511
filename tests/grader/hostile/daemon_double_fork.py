"""Answers correctly after daemonising a grandchild (double fork + setsid) that ignores SIGHUP."""
import os
import signal

from fastapi import FastAPI, WebSocket

app = FastAPI()


def daemonise():
    if os.fork() != 0:
        os._exit(0)
    os.setsid()
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    if os.fork() != 0:
        os._exit(0)
    os.execv("/bin/sleep", ["/bin/sleep", "__MARKER__"])


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    pid = os.fork()
    if pid == 0:
        try:
            daemonise()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)  # noqa: ASYNC222 - the middle process exits at once
    await websocket.send_text(f"Message text was: {data}")
