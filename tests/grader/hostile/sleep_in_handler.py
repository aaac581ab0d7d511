"""Blocks the event loop with time.sleep(60) before answering."""
import time

from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    time.sleep(60)  # noqa: ASYNC251 - blocking on purpose
    await websocket.send_text(f"Message text was: {data}")
