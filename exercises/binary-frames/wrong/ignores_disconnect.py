# Never looks at the message type, so after the disconnect it calls receive() again.
from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    while True:
        message = await websocket.receive()
        if message.get("bytes") is not None:
            await websocket.send_bytes(message["bytes"])
        elif message.get("text") is not None:
            await websocket.send_bytes(message["text"].encode("utf-8"))
