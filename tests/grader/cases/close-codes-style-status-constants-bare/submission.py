# A bare function with status constants, positional close(code, reason) and break.
from fastapi import WebSocket, WebSocketDisconnect, status


async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    try:
        while True:
            data = await websocket.receive_text()
            if data == "bye":
                await websocket.close(status.WS_1000_NORMAL_CLOSURE, "Goodbye")
                break
            elif len(data) > 100:
                await websocket.close(code=status.WS_1009_MESSAGE_TOO_BIG, reason="Message too long")
                break
            elif "spam" in data:
                await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason="No spam allowed")
                break
            else:
                await websocket.send_text("Echo: " + data)
    except WebSocketDisconnect:
        print("client left")
