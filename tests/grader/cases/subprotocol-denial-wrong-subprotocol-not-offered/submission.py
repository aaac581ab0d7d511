# Accepts with subprotocol 'chat', which no client offered.
from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from fastapi.responses import PlainTextResponse

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    if websocket.headers.get("x-api-key") != "secret-key-123":
        await websocket.send_denial_response(PlainTextResponse("Invalid API key", status_code=403))
        return
    offered = websocket.scope["subprotocols"]
    version = "chat.v2" if "chat.v2" in offered else "chat.v1"
    await websocket.accept(subprotocol="chat")
    try:
        while True:
            data = await websocket.receive_text()
            if version == "chat.v2":
                await websocket.send_json({"protocol": "chat.v2", "text": data})
            else:
                await websocket.send_text(f"[chat.v1] {data}")
    except WebSocketDisconnect:
        pass
