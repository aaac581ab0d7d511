"""Answers correctly, then leaves a thread spinning forever after the endpoint returns."""
import threading

from fastapi import FastAPI, WebSocket

app = FastAPI()


def spin():
    while True:
        pass


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    await websocket.send_text(f"Message text was: {data}")
    threading.Thread(target=spin, daemon=False).start()
