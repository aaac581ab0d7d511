"""Ignores SIGTERM (and blocks what it can), starts an equally stubborn child, then sleeps."""
import os
import signal
import time

from fastapi import FastAPI, WebSocket

app = FastAPI()
for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGXCPU):
    signal.signal(sig, signal.SIG_IGN)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT, signal.SIGHUP})


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    await websocket.receive_text()
    if os.fork() == 0:
        os.execv("/bin/sleep", ["/bin/sleep", "__MARKER__"])
    time.sleep(60)  # noqa: ASYNC251 - blocking on purpose
