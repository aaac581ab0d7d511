# Never catches WebSocketDisconnect: a leaving client crashes its endpoint and nobody is told.
from fastapi import FastAPI, WebSocket

app = FastAPI()
connections: list[WebSocket] = []


async def broadcast(message: str) -> None:
    for connection in connections:
        await connection.send_text(message)


@app.websocket("/ws/{client_id}")
async def websocket_endpoint(websocket: WebSocket, client_id: int):
    await websocket.accept()
    connections.append(websocket)
    while True:
        data = await websocket.receive_text()
        await websocket.send_text(f"You wrote: {data}")
        await broadcast(f"Client #{client_id} says: {data}")
