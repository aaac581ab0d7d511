# Sends the reason as an ordinary text message, then closes without one.
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    try:
        while True:
            data = await websocket.receive_text()
            if data == "bye":
                await websocket.send_text("Goodbye")
                await websocket.close()
                return
            if len(data) > 100:
                await websocket.send_text("Message too long")
                await websocket.close(code=1009)
                return
            if "spam" in data:
                await websocket.send_text("No spam allowed")
                await websocket.close(code=1008)
                return
            await websocket.send_text(f"Echo: {data}")
    except WebSocketDisconnect:
        pass
