"""Answers correctly, then a thread sends more messages after the endpoint has returned."""
import asyncio
import threading
import time

from fastapi import FastAPI, WebSocket

app = FastAPI()


def late(websocket, loop):
    for _ in range(20):
        time.sleep(0.05)
        try:
            asyncio.run_coroutine_threadsafe(websocket.send_text("Message text was: late"), loop)
        except RuntimeError:
            return


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    await websocket.send_text(f"Message text was: {data}")
    threading.Thread(target=late, args=(websocket, asyncio.get_running_loop()), daemon=True).start()
