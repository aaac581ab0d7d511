# Structural pattern matching on the raw message dict.
from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    while True:
        match await websocket.receive():
            case {"type": "websocket.disconnect"}:
                break
            case {"bytes": bytes() as data}:
                await websocket.send_bytes(data)
            case {"text": str() as text}:
                await websocket.send_bytes(text.encode("utf-8"))
