# Catches bad JSON but reads message["text"] without checking: a missing field is a KeyError.
import json

from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    try:
        while True:
            try:
                message = await websocket.receive_json()
            except json.JSONDecodeError:
                await websocket.send_json({"type": "error", "detail": "Invalid JSON"})
                continue
            await websocket.send_json({"type": "echo", "seq": message.get("seq"), "text": message["text"]})
    except WebSocketDisconnect:
        pass
