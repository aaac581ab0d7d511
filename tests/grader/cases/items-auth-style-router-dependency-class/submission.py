# An APIRouter (not included anywhere), a callable-class dependency and Optional[int].
from typing import Annotated, Optional

from fastapi import APIRouter, Cookie, Depends, Query, WebSocket, WebSocketDisconnect, WebSocketException, status

router = APIRouter()


class CredentialChecker:
    def __call__(self, session: Annotated[Optional[str], Cookie()] = None,
                 token: Annotated[Optional[str], Query()] = None) -> str:
        if not session and not token:
            raise WebSocketException(code=status.WS_1008_POLICY_VIOLATION, reason="Missing credentials")
        return session if session else token


check_credentials = CredentialChecker()


@router.websocket("/items/{item_id}/ws")
async def items_ws(
    websocket: WebSocket,
    item_id: str,
    credential: Annotated[str, Depends(check_credentials)],
    q: Optional[int] = None,
):
    await websocket.accept()
    try:
        while True:
            data = await websocket.receive_text()
            lines = [f"Session cookie or query token value is: {credential}"]
            if q is not None:
                lines.append(f"Query parameter q is: {q}")
            lines.append(f"Message text was: {data}, for item ID: {item_id}")
            for line in lines:
                await websocket.send_text(line)
    except WebSocketDisconnect:
        pass
