"""Sends a message before accepting, through the raw ASGI send (past Starlette's own check)."""
from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket._send({"type": "websocket.send", "text": "Message text was: early"})
    await websocket.accept()
    data = await websocket.receive_text()
    await websocket.send_text(f"Message text was: {data}")
