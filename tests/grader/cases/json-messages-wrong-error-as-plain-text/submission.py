# The error is sent as plain text, not JSON.
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
            except json.JSONDecodeError:
                await websocket.send_text("Error: invalid JSON")
                continue
            if "text" not in message:
                await websocket.send_text("Error: missing text")
                continue
            await websocket.send_json({"type": "echo", "seq": message["seq"], "text": message["text"]})
    except WebSocketDisconnect:
        pass
