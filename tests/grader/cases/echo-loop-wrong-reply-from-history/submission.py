# Answers every message with the first one it ever received.
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()
messages = []


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    try:
        while True:
            messages.append(await websocket.receive_text())
            await websocket.send_text(f"Message text was: {messages[0]}")
    except WebSocketDisconnect:
        pass
