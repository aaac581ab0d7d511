# Raising WebSocketException after accept: FastAPI closes the connection with its code and reason.
from fastapi import FastAPI, WebSocket, WebSocketDisconnect, WebSocketException

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    try:
        while True:
            data = await websocket.receive_text()
            if data == "bye":
                await websocket.close(1000, "Goodbye")
                return
            if len(data) > 100:
                raise WebSocketException(code=1009, reason="Message too long")
            if "spam" in data:
                raise WebSocketException(code=1008, reason="No spam allowed")
            await websocket.send_text(f"Echo: {data}")
    except WebSocketDisconnect:
        pass
