# The error message has no "type" key.
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
                await websocket.send_json({"error": "Invalid JSON"})
                continue
            if "text" not in message:
                await websocket.send_json({"error": "Missing field: text"})
                continue
            await websocket.send_json({"type": "echo", "seq": message["seq"], "text": message["text"]})
    except WebSocketDisconnect:
        pass
