# A lifespan puts the hub on app.state; the endpoint reads websocket.app.state.
from contextlib import asynccontextmanager

from fastapi import FastAPI, WebSocket, WebSocketDisconnect


class Hub:
    def __init__(self):
        self.sockets = []

    async def say(self, text):
        for s in self.sockets:
            await s.send_text(text)


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.hub = Hub()
    yield
    app.state.hub.sockets.clear()


app = FastAPI(lifespan=lifespan)


@app.websocket("/ws/{client_id}")
async def websocket_endpoint(websocket: WebSocket, client_id: int):
    hub: Hub = websocket.app.state.hub
    await websocket.accept()
    hub.sockets.append(websocket)
    try:
        while True:
            data = await websocket.receive_text()
            await websocket.send_text(f"You wrote: {data}")
            await hub.say(f"Client #{client_id} says: {data}")
    except WebSocketDisconnect:
        hub.sockets.remove(websocket)
        await hub.say(f"Client #{client_id} left the chat")
