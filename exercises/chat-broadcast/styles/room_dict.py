# The room as a dict from client id to socket, on an APIRouter.
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

router = APIRouter()
room: dict[int, WebSocket] = {}


async def announce(text: str) -> None:
    for member in list(room.values()):
        await member.send_text(text)


@router.websocket("/ws/{client_id}")
async def chat(websocket: WebSocket, client_id: int):
    await websocket.accept()
    room[client_id] = websocket
    try:
        async for text in websocket.iter_text():
            await websocket.send_text(f"You wrote: {text}")
            await announce(f"Client #{client_id} says: {text}")
    finally:
        # iter_text() ends quietly on disconnect; finally also covers errors.
        room.pop(client_id, None)
    await announce(f"Client #{client_id} left the chat")
