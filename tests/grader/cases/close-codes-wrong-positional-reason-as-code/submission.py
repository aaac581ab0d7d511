# close("Goodbye") passes the reason as the code.
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    try:
        while True:
            data = await websocket.receive_text()
            if data == "bye":
                await websocket.close("Goodbye")
                return
            if len(data) > 100:
                await websocket.close(1009, "Message too long")
                return
            if "spam" in data:
                await websocket.close(1008, "No spam allowed")
                return
            await websocket.send_text(f"Echo: {data}")
    except WebSocketDisconnect:
        pass
