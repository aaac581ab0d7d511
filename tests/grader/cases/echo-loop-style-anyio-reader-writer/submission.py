# Correct: Starlette's reader/writer pattern, a reader task and a writer task joined by a memory stream.
import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from fastapi import FastAPI, WebSocket
from starlette.websockets import WebSocketDisconnect

app = FastAPI()


async def reader(websocket: WebSocket, send_stream: MemoryObjectSendStream[str]) -> None:
    async with send_stream:
        try:
            async for text in websocket.iter_text():
                await send_stream.send(text)
        except WebSocketDisconnect:
            pass


async def writer(websocket: WebSocket, receive_stream: MemoryObjectReceiveStream[str]) -> None:
    async with receive_stream:
        async for text in receive_stream:
            await websocket.send_text(f"Message text was: {text}")


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    send_stream, receive_stream = anyio.create_memory_object_stream[str]()
    async with anyio.create_task_group() as tg:
        tg.start_soon(reader, websocket, send_stream)
        tg.start_soon(writer, websocket, receive_stream)
