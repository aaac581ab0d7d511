# Trusts every message to be JSON: plain text makes receive_json() raise and the endpoint crash.
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    try:
        while True:
            message = await websocket.receive_json()
            await websocket.send_json({"type": "echo", "seq": message.get("seq"), "text": message.get("text")})
    except WebSocketDisconnect:
        pass
