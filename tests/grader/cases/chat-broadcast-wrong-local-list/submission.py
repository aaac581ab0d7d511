# The connection list is a local variable, so every client is alone in its room.
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()


@app.websocket("/ws/{client_id}")
async def websocket_endpoint(websocket: WebSocket, client_id: int):
    connections = []
    await websocket.accept()
    connections.append(websocket)
    try:
        while True:
            data = await websocket.receive_text()
            await websocket.send_text(f"You wrote: {data}")
            for connection in connections:
                await connection.send_text(f"Client #{client_id} says: {data}")
    except WebSocketDisconnect:
        connections.remove(websocket)
        for connection in connections:
            await connection.send_text(f"Client #{client_id} left the chat")
