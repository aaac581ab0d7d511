"""Allocates without bound in the handler, touching every page."""
from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    hoard = []
    while True:
        hoard.append(b"x" * (8 * 1024 * 1024))
    await websocket.send_text(f"Message text was: {data}")
