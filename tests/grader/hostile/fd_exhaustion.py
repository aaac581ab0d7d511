"""Opens files until the descriptor limit refuses, closes them, then answers correctly."""
import json
import os

from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    opened = []
    error = None
    for _ in range(100_000):
        try:
            opened.append(os.open("/dev/null", os.O_RDONLY))
        except OSError as exc:
            error = type(exc).__name__
            break
    print("REPORT", json.dumps({"opened": len(opened), "error": error}), flush=True)
    for fd in opened:
        os.close(fd)
    await websocket.send_text(f"Message text was: {data}")
