# Sends str(dict): single quotes and None are Python, not JSON.
import json

from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    try:
        while True:
            try:
                message = json.loads(await websocket.receive_text())
            except ValueError:
                await websocket.send_text(str({"type": "error", "detail": "Invalid JSON"}))
                continue
            if not isinstance(message, dict) or "text" not in message:
                await websocket.send_text(str({"type": "error", "detail": "Missing field: text"}))
                continue
            await websocket.send_text(str({"type": "echo", "seq": message.get("seq"), "text": message["text"]}))
    except WebSocketDisconnect:
        pass
