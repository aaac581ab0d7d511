"""Takes every free descriptor while being imported, before any connection exists, and never gives one back."""
import os

from fastapi import FastAPI, WebSocket

hoard = []
while True:
    try:
        hoard.append(os.open("/dev/null", os.O_RDONLY))
    except OSError:
        break

app = FastAPI()


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
