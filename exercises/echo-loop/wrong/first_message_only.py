# Remembers the first message and keeps echoing it instead of the new one.
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    first = await websocket.receive_text()
    try:
        while True:
            await websocket.send_text(f"Message text was: {first}")
            await websocket.receive_text()
    except WebSocketDisconnect:
        pass
