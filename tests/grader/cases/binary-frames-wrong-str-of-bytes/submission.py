# str(data).encode() sends the repr of the bytes.
from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            break
        data = message.get("bytes") or message.get("text")
        await websocket.send_bytes(str(data).encode())
