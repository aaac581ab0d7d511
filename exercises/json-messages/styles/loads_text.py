# Receives the raw text and parses it with json.loads, so the parse error is plainly visible.
import json

from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    try:
        while True:
            raw = await websocket.receive_text()
            try:
                message = json.loads(raw)
            except ValueError:
                await websocket.send_json({"type": "error", "detail": f"Not JSON: {raw[:40]}"})
                continue
            if isinstance(message, dict) and isinstance(message.get("text"), str):
                await websocket.send_json({"type": "echo", "seq": message.get("seq"), "text": message["text"]})
            else:
                await websocket.send_json({"type": "error", "detail": "Expected an object with a 'text' field"})
    except WebSocketDisconnect:
        pass
