"""Writes hundreds of megabytes straight to fd 2 at import, ignoring SIGXFSZ."""
import os
import signal

from fastapi import FastAPI, WebSocket

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
chunk = b"flood " * 170_000
written = 0
for _ in range(300):
    try:
        written += os.write(2, chunk)
    except OSError:
        break

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    await websocket.send_text(f"wrote {written} bytes to stderr: {data}")
