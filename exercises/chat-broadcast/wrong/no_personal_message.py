# Forgets the personal "You wrote" line: the sender only gets the broadcast.
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()
connections: list[WebSocket] = []


async def broadcast(message: str) -> None:
    for connection in connections:
        await connection.send_text(message)


@app.websocket("/ws/{client_id}")
async def websocket_endpoint(websocket: WebSocket, client_id: int):
    await websocket.accept()
    connections.append(websocket)
    try:
        while True:
            data = await websocket.receive_text()
            await broadcast(f"Client #{client_id} says: {data}")
    except WebSocketDisconnect:
        connections.remove(websocket)
        await broadcast(f"Client #{client_id} left the chat")
