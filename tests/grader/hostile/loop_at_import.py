"""Spins forever at import: the load timeout (and the CPU limit) must stop it."""
from fastapi import FastAPI, WebSocket

app = FastAPI()

while True:
    pass


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
