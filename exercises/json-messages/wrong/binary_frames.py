# Sends the JSON in binary frames; a browser's event.data would be a Blob, not a string.
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
                await websocket.send_json({"type": "error", "detail": "Invalid JSON"}, mode="binary")
                continue
            if not isinstance(message, dict) or "text" not in message:
                await websocket.send_json({"type": "error", "detail": "Missing field: text"}, mode="binary")
                continue
            reply = {"type": "echo", "seq": message.get("seq"), "text": message["text"]}
            await websocket.send_json(reply, mode="binary")
    except WebSocketDisconnect:
        pass
