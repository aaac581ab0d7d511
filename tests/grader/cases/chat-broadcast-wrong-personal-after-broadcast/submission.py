# Broadcasts first and sends 'You wrote' afterwards.
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()
active: list[WebSocket] = []


@app.websocket("/ws/{client_id}")
async def websocket_endpoint(websocket: WebSocket, client_id: int):
    await websocket.accept()
    active.append(websocket)
    try:
        while True:
            data = await websocket.receive_text()
            for connection in active:
                await connection.send_text(f"Client #{client_id} says: {data}")
            await websocket.send_text(f"You wrote: {data}")
    except WebSocketDisconnect:
        active.remove(websocket)
        for connection in active:
            await connection.send_text(f"Client #{client_id} left the chat")
