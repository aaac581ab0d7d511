"""Raises SystemExit(0) at import."""
import sys

from fastapi import FastAPI, WebSocket

app = FastAPI()
sys.exit(0)


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
