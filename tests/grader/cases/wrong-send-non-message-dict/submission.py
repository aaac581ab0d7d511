# Passes the reply text straight to websocket.send(), which wants an ASGI message dict.
from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    await websocket.send(f"Message text was: {data}")
