"""Dereferences a NULL pointer through ctypes instead of answering."""
import ctypes

from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    await websocket.receive_text()
    ctypes.string_at(0)
