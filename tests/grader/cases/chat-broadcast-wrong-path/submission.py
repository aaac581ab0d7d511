# The room lives at /chat/{client_id} instead of /ws/{client_id}.
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()
room: list[WebSocket] = []


@app.websocket("/chat/{client_id}")
async def chat(websocket: WebSocket, client_id: int):
    await websocket.accept()
    room.append(websocket)
    try:
        while True:
            data = await websocket.receive_text()
            await websocket.send_text(f"You wrote: {data}")
            for ws in room:
                await ws.send_text(f"Client #{client_id} says: {data}")
    except WebSocketDisconnect:
        room.remove(websocket)
        for ws in room:
            await ws.send_text(f"Client #{client_id} left the chat")
