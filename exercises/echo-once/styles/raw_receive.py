# The low-level API: receive() returns the ASGI message dict, send() takes one.
from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    message = await websocket.receive()
    data = message["text"]
    await websocket.send({"type": "websocket.send", "text": "Message text was: {}".format(data)})
