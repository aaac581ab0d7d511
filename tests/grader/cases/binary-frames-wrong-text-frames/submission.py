# Answers every message in a text frame, decoding the bytes it received.
from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("bytes") is not None:
            await websocket.send_text(message["bytes"].decode("utf-8", errors="replace"))
        else:
            await websocket.send_text(message["text"])
