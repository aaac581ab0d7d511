# Loops while client_state is CONNECTED and breaks on WebSocketDisconnect.
from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketState

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    while websocket.client_state == WebSocketState.CONNECTED:
        try:
            data = await websocket.receive_text()
        except WebSocketDisconnect:
            break
        await websocket.send_text(f"Message text was: {data}")
