# bytes(text) without an encoding raises TypeError.
from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            break
        if "bytes" in message and message["bytes"] is not None:
            await websocket.send_bytes(message["bytes"])
        else:
            await websocket.send_bytes(bytes(message["text"]))
