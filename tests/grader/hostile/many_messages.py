"""Answers with a hundred thousand messages instead of one."""
from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    for i in range(100_000):
        await websocket.send_text(f"spam {i}")
    await websocket.send_text(f"Message text was: {data}")
