# The same dependency on an APIRouter, with a clean exit when the client leaves.
from typing import Annotated

from fastapi import APIRouter, Cookie, Depends, Query, WebSocket, WebSocketDisconnect, WebSocketException, status

router = APIRouter(prefix="/items")


def credential(session: Annotated[str | None, Cookie()] = None, token: Annotated[str | None, Query()] = None) -> str:
    if session is not None:
        return session
    if token is not None:
        return token
    raise WebSocketException(code=status.WS_1008_POLICY_VIOLATION, reason="Send a session cookie or a token")


@router.websocket("/{item_id}/ws")
async def item_socket(
    websocket: WebSocket,
    item_id: str,
    who: Annotated[str, Depends(credential)],
    q: int | None = None,
):
    await websocket.accept()
    try:
        async for data in websocket.iter_text():
            await websocket.send_text(f"Session cookie or query token value is: {who}")
            if q is not None:
                await websocket.send_text(f"Query parameter q is: {q}")
            await websocket.send_text(f"Message text was: {data}, for item ID: {item_id}")
    except WebSocketDisconnect:
        pass
