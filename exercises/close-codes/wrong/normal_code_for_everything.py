# Every close uses 1000, so the client cannot tell a goodbye from a rule violation.
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    try:
        while True:
            data = await websocket.receive_text()
            if data == "bye":
                await websocket.close(reason="Goodbye")
                return
            if len(data) > 100:
                await websocket.close(reason="Message too long")
                return
            if "spam" in data:
                await websocket.close(reason="No spam allowed")
                return
            await websocket.send_text(f"Echo: {data}")
    except WebSocketDisconnect:
        pass
