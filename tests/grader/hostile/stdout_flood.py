"""Prints hundreds of megabytes to stdout, then answers wrongly."""
import sys

from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    chunk = "flood " * 170_000
    for _ in range(300):
        sys.stdout.write(chunk)
    await websocket.send_text(f"flooded: {data}")
