from fastapi import FastAPI, WebSocket, WebSocketDisconnect, status

app = FastAPI()

MAX_LENGTH = 100


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    try:
        while True:
            data = await websocket.receive_text()
            if data == "bye":
                await websocket.close(code=status.WS_1000_NORMAL_CLOSURE, reason="Goodbye")
                return
            if len(data) > MAX_LENGTH:
                await websocket.close(code=status.WS_1009_MESSAGE_TOO_BIG, reason="Message too long")
                return
            if "spam" in data:
                await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason="No spam allowed")
                return
            await websocket.send_text(f"Echo: {data}")
    except WebSocketDisconnect:
        pass
