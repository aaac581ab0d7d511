# Only checks that some key was sent, not that it is the right one.
from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from fastapi.responses import PlainTextResponse

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    if not websocket.headers.get("x-api-key"):
        await websocket.send_denial_response(PlainTextResponse("Invalid API key", status_code=403))
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
