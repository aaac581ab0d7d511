# Raises WebSocketDisconnect to close: the server closes with 1011.
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    while True:
        data = await websocket.receive_text()
        if data == "bye":
            raise WebSocketDisconnect(code=1000, reason="Goodbye")
        if len(data) > 100:
            raise WebSocketDisconnect(code=1009, reason="Message too long")
        if "spam" in data:
            raise WebSocketDisconnect(code=1008, reason="No spam allowed")
        await websocket.send_text(f"Echo: {data}")
