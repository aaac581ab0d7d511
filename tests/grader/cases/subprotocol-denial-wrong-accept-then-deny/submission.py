# Accepts before checking the key, too late for a denial response.
from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from fastapi.responses import PlainTextResponse

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    offered = websocket.scope["subprotocols"]
    protocol = next((p for p in offered if p in ("chat.v1", "chat.v2")), None)
    await websocket.accept(subprotocol=protocol)
    if websocket.headers.get("x-api-key") != "secret-key-123":
        await websocket.send_denial_response(PlainTextResponse("Invalid API key", status_code=403))
        return
    try:
        while True:
            data = await websocket.receive_text()
            if protocol == "chat.v2":
                await websocket.send_json({"protocol": "chat.v2", "text": data})
            else:
                await websocket.send_text(f"[chat.v1] {data}")
    except WebSocketDisconnect:
        pass
