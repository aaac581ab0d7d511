"""Sends an ASGI message whose text is an int."""
from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    await websocket.receive_text()
    await websocket.send({"type": "websocket.send", "text": 123})
