# Encodes JSON twice with json.dumps, then sends that text: the client receives a JSON string literal.
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
                await websocket.send_text(json.dumps(json.dumps({"type": "error", "detail": "Invalid JSON"})))
                continue
            if not isinstance(message, dict) or "text" not in message:
                await websocket.send_text(json.dumps(json.dumps({"type": "error", "detail": "Missing field: text"})))
                continue
            reply = {"type": "echo", "seq": message.get("seq"), "text": message["text"]}
            await websocket.send_text(json.dumps(json.dumps(reply)))
    except WebSocketDisconnect:
        pass
