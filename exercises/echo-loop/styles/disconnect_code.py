# Catches the disconnect and looks at the close code the client sent.
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    while True:
        try:
            data = await websocket.receive_text()
        except WebSocketDisconnect as disconnect:
            print(f"client left with code {disconnect.code}")
            break
        await websocket.send_text(f"Message text was: {data}")
