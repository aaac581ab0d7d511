# Turns the number into a string on the way back: 7 and "7" are different JSON values.
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
            if not isinstance(message, dict) or "text" not in message:
                await websocket.send_json({"type": "error", "detail": "Missing field: text"})
                continue
            await websocket.send_json({"type": "echo", "seq": str(message.get("seq")), "text": message["text"]})
    except WebSocketDisconnect:
        pass
