# Blocks the whole event loop right after accepting.
import time

from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    time.sleep(8)  # noqa: ASYNC251 - the mistake under test
    while True:
        data = await websocket.receive_text()
        await websocket.send_text(f"Message text was: {data}")
