"""Sends an HTTP response message on a WebSocket connection."""
from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    await websocket._send({"type": "http.response.start", "status": 200, "headers": []})
    await websocket._send({"type": "http.response.body", "body": f"Message text was: {data}".encode()})
