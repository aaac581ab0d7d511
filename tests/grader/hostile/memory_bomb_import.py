"""Allocates without bound at import."""
from fastapi import FastAPI, WebSocket

app = FastAPI()
hoard = []
while True:
    hoard.append(bytearray(16 * 1024 * 1024))


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
