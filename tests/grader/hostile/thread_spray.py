"""Starts threads until the process limit refuses, and keeps them alive."""
import json
import threading
import time

from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    started = 0
    for _ in range(2000):
        try:
            threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()
        except RuntimeError:
            break
        started += 1
    print("REPORT", json.dumps({"threads": started}), flush=True)
    await websocket.send_text(f"started {started} threads: {data}")
