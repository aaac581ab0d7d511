# Closes with the right codes but never says why.
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    try:
        while True:
            data = await websocket.receive_text()
            if data == "bye":
                await websocket.close(code=1000)
                return
            if len(data) > 100:
                await websocket.close(code=1009)
                return
            if "spam" in data:
                await websocket.close(code=1008)
                return
            await websocket.send_text(f"Echo: {data}")
    except WebSocketDisconnect:
        pass
