"""Answers correctly, then floods the grader with megabyte messages as fast as it can."""
from fastapi import FastAPI, WebSocket

app = FastAPI()
CHUNK = "x" * (1000 * 1024)


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    await websocket.send_text(f"Message text was: {data}")
    while True:
        await websocket.send_text(CHUNK)
