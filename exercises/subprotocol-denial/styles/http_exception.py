# Raising HTTPException before accept: FastAPI turns it into the denial response (JSON body).
from fastapi import FastAPI, HTTPException, WebSocket, WebSocketDisconnect, status

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    if websocket.headers.get("X-API-Key") != "secret-key-123":
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="Invalid API key")
    chosen = None
    for name in websocket.scope["subprotocols"]:
        if name in {"chat.v1", "chat.v2"}:
            chosen = name
            break
    await websocket.accept(subprotocol=chosen)
    try:
        async for data in websocket.iter_text():
            if chosen == "chat.v2":
                await websocket.send_json({"protocol": chosen, "text": data})
            else:
                await websocket.send_text(f"[chat.v1] {data}")
    except WebSocketDisconnect:
        pass
