# The key check as a dependency that sends the denial itself; the endpoint only runs for valid keys.
from typing import Annotated

from fastapi import Depends, FastAPI, Header, HTTPException, WebSocket, WebSocketDisconnect

app = FastAPI()


def require_api_key(x_api_key: Annotated[str | None, Header()] = None) -> None:
    if x_api_key != "secret-key-123":
        raise HTTPException(status_code=403, detail="Invalid API key")


def negotiate(websocket: WebSocket) -> str | None:
    return next((p for p in websocket.scope.get("subprotocols", []) if p in ("chat.v1", "chat.v2")), None)


@app.websocket("/ws", dependencies=[Depends(require_api_key)])
async def websocket_endpoint(websocket: WebSocket, protocol: Annotated[str | None, Depends(negotiate)]):
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
