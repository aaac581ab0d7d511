# Refuses with a WebSocket close (1008) instead of an HTTP 403 response.
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    if websocket.headers.get("x-api-key") != "secret-key-123":
        await websocket.close(code=1008, reason="Invalid API key")
        return
    protocol = next((p for p in websocket.scope["subprotocols"] if p in ("chat.v2", "chat.v1")), None)
    await websocket.accept(subprotocol=protocol)
    try:
        while True:
            data = await websocket.receive_text()
            if protocol == "chat.v2":
                await websocket.send_json({"protocol": "chat.v2", "text": data})
            else:
                await websocket.send_text(f"[chat.v1] {data}")
    except WebSocketDisconnect:
        pass
