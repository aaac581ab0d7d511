# Waits on its own queue, which nothing fills, instead of receiving the client's messages.
import asyncio

from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    inbox: asyncio.Queue[str] = asyncio.Queue()
    while True:
        data = await inbox.get()
        await websocket.send_text(f"Message text was: {data}")
