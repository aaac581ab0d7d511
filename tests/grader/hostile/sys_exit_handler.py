"""Raises SystemExit(0) from the handler (asyncio lets it escape the event loop)."""
import sys

from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    await websocket.receive_text()
    sys.exit(0)
