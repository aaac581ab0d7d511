"""Opens files until the descriptor limit refuses and keeps them open, starving the event loop of sockets."""
import os

from fastapi import FastAPI, WebSocket

app = FastAPI()
hoard = []


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    while True:
        try:
            hoard.append(os.open("/dev/null", os.O_RDONLY))
        except OSError:
            break
    await websocket.send_text(f"Message text was: {data}")
