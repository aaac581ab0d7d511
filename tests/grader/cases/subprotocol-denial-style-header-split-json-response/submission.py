# Parses Sec-WebSocket-Protocol by hand; the denial is a JSONResponse.
from fastapi import FastAPI, WebSocket, WebSocketDisconnect, status
from fastapi.responses import JSONResponse

app = FastAPI()

API_KEY = "secret-key-123"


def pick_protocol(websocket: WebSocket) -> str | None:
    offered = websocket.headers.get("sec-websocket-protocol", "")
    for name in [p.strip() for p in offered.split(",") if p.strip()]:
        if name in ("chat.v1", "chat.v2"):
            return name
    return None


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    if websocket.headers.get("X-API-Key") != API_KEY:
        response = JSONResponse({"detail": "Invalid API key"}, status_code=status.HTTP_403_FORBIDDEN)
        await websocket.send_denial_response(response)
        return
    protocol = pick_protocol(websocket)
    await websocket.accept(subprotocol=protocol)
    try:
        while True:
            text = await websocket.receive_text()
            if protocol == "chat.v2":
                await websocket.send_json({"protocol": protocol, "text": text})
            else:
                await websocket.send_text(f"[{protocol}] {text}")
    except WebSocketDisconnect:
        pass
