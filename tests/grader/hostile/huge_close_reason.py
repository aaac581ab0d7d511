"""Closes with a two-megabyte close reason instead of answering."""
from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    await websocket.close(code=1000, reason=f"Message text was: {data}" * 100_000)
