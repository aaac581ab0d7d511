# Sends a dict with the text but a made-up message type.
from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    await websocket.send({"type": "text", "text": f"Message text was: {data}"})
