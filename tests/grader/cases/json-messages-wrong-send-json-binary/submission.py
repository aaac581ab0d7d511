# send_json(..., mode="binary") puts the JSON in binary frames.
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
            if "text" not in message:
                await websocket.send_json({"type": "error", "detail": "Missing field: text"}, mode="binary")
                continue
            await websocket.send_json({"type": "echo", "seq": message.get("seq"), "text": message["text"]}, mode="binary")
    except WebSocketDisconnect:
        pass
