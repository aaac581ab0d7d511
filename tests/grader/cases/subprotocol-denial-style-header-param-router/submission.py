# An APIRouter with a Header() parameter, a Response denial and accept(subprotocol) positionally.
from typing import Annotated

from fastapi import APIRouter, Header, WebSocket, WebSocketDisconnect
from starlette.responses import Response

router = APIRouter()


@router.websocket("/ws")
async def chat(websocket: WebSocket, x_api_key: Annotated[str | None, Header()] = None):
    if x_api_key != "secret-key-123":
        await websocket.send_denial_response(Response("Invalid API key", status_code=403))
        return
    offered = websocket.scope["subprotocols"]
    chosen = "chat.v2" if "chat.v2" in offered else "chat.v1" if "chat.v1" in offered else None
    await websocket.accept(chosen)
    try:
        async for text in websocket.iter_text():
            if chosen == "chat.v2":
                await websocket.send_json({"protocol": "chat.v2", "text": text})
            else:
                await websocket.send_text("[chat.v1] " + text)
    except WebSocketDisconnect:
        pass
