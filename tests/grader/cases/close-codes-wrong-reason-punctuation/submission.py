# The reason says 'Goodbye!' instead of 'Goodbye'.
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    try:
        while True:
            data = await websocket.receive_text()
            if data == "bye":
                await websocket.close(code=1000, reason="Goodbye!")
                return
            if len(data) > 100:
                await websocket.close(code=1009, reason="Message too long")
                return
            if "spam" in data:
                await websocket.close(code=1008, reason="No spam allowed")
                return
            await websocket.send_text(f"Echo: {data}")
    except WebSocketDisconnect:
        pass
