# Assumes every binary frame is UTF-8 text: the PNG signature makes decode() raise.
from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        text = message["text"] if message.get("text") is not None else message["bytes"].decode("utf-8")
        await websocket.send_bytes(text.encode("utf-8"))
