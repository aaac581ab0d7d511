# A set of sockets, asyncio.gather for the broadcast, client_id as str.
import asyncio

from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()
clients: set[WebSocket] = set()


async def broadcast(message: str) -> None:
    await asyncio.gather(*(client.send_text(message) for client in clients))


@app.websocket("/ws/{client_id}")
async def chat(websocket: WebSocket, client_id: str):
    await websocket.accept()
    clients.add(websocket)
    try:
        while True:
            text = await websocket.receive_text()
            await websocket.send_text(f"You wrote: {text}")
            await broadcast(f"Client #{client_id} says: {text}")
    except WebSocketDisconnect:
        clients.discard(websocket)
        await broadcast(f"Client #{client_id} left the chat")
