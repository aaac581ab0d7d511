# One asyncio.Queue and one writer task per client; broadcasting only enqueues.
import asyncio

from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()
outboxes: dict[int, asyncio.Queue] = {}


async def writer(websocket: WebSocket, outbox: asyncio.Queue) -> None:
    while True:
        text = await outbox.get()
        await websocket.send_text(text)


def publish(text: str) -> None:
    for outbox in outboxes.values():
        outbox.put_nowait(text)


@app.websocket("/ws/{client_id}")
async def websocket_endpoint(websocket: WebSocket, client_id: int):
    await websocket.accept()
    outbox: asyncio.Queue = asyncio.Queue()
    outboxes[client_id] = outbox
    task = asyncio.create_task(writer(websocket, outbox))
    try:
        while True:
            data = await websocket.receive_text()
            outbox.put_nowait(f"You wrote: {data}")
            publish(f"Client #{client_id} says: {data}")
    except WebSocketDisconnect:
        del outboxes[client_id]
        task.cancel()
        publish(f"Client #{client_id} left the chat")
