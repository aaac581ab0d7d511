# Negotiates correctly but then answers chat.v2 clients in the chat.v1 format.
from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from fastapi.responses import PlainTextResponse

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    if websocket.headers.get("x-api-key") != "secret-key-123":
        await websocket.send_denial_response(PlainTextResponse("Invalid API key", status_code=403))
        return
    protocol = next((p for p in websocket.scope["subprotocols"] if p in ("chat.v2", "chat.v1")), None)
    await websocket.accept(subprotocol=protocol)
    try:
        while True:
            data = await websocket.receive_text()
            await websocket.send_text(f"[{protocol}] {data}")
    except WebSocketDisconnect:
        pass
