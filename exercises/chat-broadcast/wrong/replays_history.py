# Sends every newcomer the messages said before it joined; this chat has no history.
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()
connections: list[WebSocket] = []
history: list[str] = []


async def broadcast(message: str) -> None:
    for connection in connections:
        await connection.send_text(message)


@app.websocket("/ws/{client_id}")
async def websocket_endpoint(websocket: WebSocket, client_id: int):
    await websocket.accept()
    for old in history:
        await websocket.send_text(old)
    connections.append(websocket)
    try:
        while True:
            data = await websocket.receive_text()
            await websocket.send_text(f"You wrote: {data}")
            line = f"Client #{client_id} says: {data}"
            history.append(line)
            await broadcast(line)
    except WebSocketDisconnect:
        connections.remove(websocket)
        await broadcast(f"Client #{client_id} left the chat")
