# Broadcasts a 'joined the chat' message nobody expects.
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()
active: list[WebSocket] = []


async def broadcast(message: str):
    for connection in active:
        await connection.send_text(message)


@app.websocket("/ws/{client_id}")
async def websocket_endpoint(websocket: WebSocket, client_id: int):
    await websocket.accept()
    active.append(websocket)
    await broadcast(f"Client #{client_id} joined the chat")
    try:
        while True:
            data = await websocket.receive_text()
            await websocket.send_text(f"You wrote: {data}")
            await broadcast(f"Client #{client_id} says: {data}")
    except WebSocketDisconnect:
        active.remove(websocket)
        await broadcast(f"Client #{client_id} left the chat")
