from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from fastapi.responses import PlainTextResponse

app = FastAPI()

API_KEY = "secret-key-123"
SUPPORTED = ("chat.v2", "chat.v1")


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    if websocket.headers.get("x-api-key") != API_KEY:
        await websocket.send_denial_response(PlainTextResponse("Invalid API key", status_code=403))
        return
    offered = websocket.scope.get("subprotocols", [])
    protocol = next((name for name in offered if name in SUPPORTED), None)
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
