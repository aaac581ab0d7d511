import time

from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    time.sleep(100)  # blocks the event loop: nothing else can run
    await websocket.send_text(f"Message text was: {data}")
