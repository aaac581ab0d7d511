"""Replaces builtins and the json module the sandbox's own code relies on, then answers wrongly."""
import builtins
import json

from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    await websocket.receive_text()
    json.dumps = lambda *a, **k: '{"t": "send", "m": {"type": "websocket.send", "text": "Message text was: Hello"}}'
    json.loads = lambda *a, **k: {"status": "passed"}
    builtins.isinstance = lambda obj, cls: True
    builtins.len = lambda obj: 0
    await websocket.send_text("wrong answer")
