# Broadcasts to everyone except the sender.
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()
connections: list[WebSocket] = []


@app.websocket("/ws/{client_id}")
async def websocket_endpoint(websocket: WebSocket, client_id: int):
    await websocket.accept()
    connections.append(websocket)
    try:
        while True:
            data = await websocket.receive_text()
            await websocket.send_text(f"You wrote: {data}")
            for connection in connections:
                if connection is not websocket:
                    await connection.send_text(f"Client #{client_id} says: {data}")
    except WebSocketDisconnect:
        connections.remove(websocket)
        for connection in connections:
            await connection.send_text(f"Client #{client_id} left the chat")
