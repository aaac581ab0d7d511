# 1003 (unsupported data) instead of 1009 for the long message.
from fastapi import FastAPI, WebSocket, WebSocketDisconnect, status

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    try:
        while True:
            data = await websocket.receive_text()
            if data == "bye":
                await websocket.close(code=status.WS_1000_NORMAL_CLOSURE, reason="Goodbye")
                return
            if len(data) > 100:
                await websocket.close(code=status.WS_1003_UNSUPPORTED_DATA, reason="Message too long")
                return
            if "spam" in data:
                await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason="No spam allowed")
                return
            await websocket.send_text(f"Echo: {data}")
    except WebSocketDisconnect:
        pass
