# Reads raw messages on an APIRouter and leaves the loop on the disconnect message.
from fastapi import APIRouter, WebSocket

router = APIRouter()


@router.websocket("/ws")
async def binary_echo(websocket: WebSocket):
    await websocket.accept()
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            break
        payload = message.get("bytes")
        if payload is None:
            payload = message.get("text", "").encode()
        await websocket.send_bytes(payload)
