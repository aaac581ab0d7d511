# Denies with 401 Unauthorized; this API answers a wrong key with 403 Forbidden.
from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from fastapi.responses import PlainTextResponse

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    if websocket.headers.get("x-api-key") != "secret-key-123":
        await websocket.send_denial_response(PlainTextResponse("Invalid API key", status_code=401))
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
