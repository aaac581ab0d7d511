# Keeps calling receive() after the client's disconnect message.
from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.receive":
            await websocket.send_text(f"Message text was: {message['text']}")
