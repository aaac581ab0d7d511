# After taking the message, awaits an event nothing ever sets: the server is idle, the endpoint stuck.
import asyncio

from fastapi import FastAPI, WebSocket

app = FastAPI()
ready = asyncio.Event()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    await ready.wait()
    await websocket.send_text(f"Message text was: {data}")
