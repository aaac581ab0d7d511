# Answers bad input by hanging up (1003 unsupported data) instead of an error message.
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
                await websocket.close(code=1003, reason="Invalid JSON")
                return
            if not isinstance(message, dict) or "text" not in message:
                await websocket.send_json({"type": "error", "detail": "Missing field: text"})
                continue
            await websocket.send_json({"type": "echo", "seq": message.get("seq"), "text": message["text"]})
    except WebSocketDisconnect:
        pass
