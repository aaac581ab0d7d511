# Correct: the receive loop hands each reply to a writer task through an asyncio.Queue.
import asyncio

from fastapi import FastAPI, WebSocket

app = FastAPI()


async def write_all(websocket: WebSocket, outbox: asyncio.Queue[bytes | None]) -> None:
    while (data := await outbox.get()) is not None:
        await websocket.send_bytes(data)


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    outbox: asyncio.Queue[bytes | None] = asyncio.Queue()
    writer = asyncio.create_task(write_all(websocket, outbox))
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            break
        if message.get("bytes") is not None:
            outbox.put_nowait(message["bytes"])
        else:
            outbox.put_nowait(message["text"].encode("utf-8"))
    outbox.put_nowait(None)
    await writer
