# A bare endpoint function that encodes str frames after an isinstance check.
from fastapi import WebSocket


async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        data = message.get("bytes") or message.get("text")
        if isinstance(data, str):
            data = data.encode()
        await websocket.send_bytes(data)
