# Correct: each reply is sent from its own task, and the loop goes straight back to receiving.
import asyncio

from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()
background: set[asyncio.Task[None]] = set()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    try:
        while True:
            data = await websocket.receive_text()
            task = asyncio.create_task(websocket.send_text(f"Message text was: {data}"))
            background.add(task)
            task.add_done_callback(background.discard)
    except WebSocketDisconnect:
        pass
