# Only looks at the token query parameter, so a browser with a session cookie is refused.
from typing import Annotated

from fastapi import Depends, FastAPI, Query, WebSocket, WebSocketException, status

app = FastAPI()


async def get_token(token: Annotated[str | None, Query()] = None) -> str:
    if token is None:
        raise WebSocketException(code=status.WS_1008_POLICY_VIOLATION)
    return token


@app.websocket("/items/{item_id}/ws")
async def websocket_endpoint(
    websocket: WebSocket, item_id: str, token: Annotated[str, Depends(get_token)], q: int | None = None
):
    await websocket.accept()
    while True:
        data = await websocket.receive_text()
        await websocket.send_text(f"Session cookie or query token value is: {token}")
        if q is not None:
            await websocket.send_text(f"Query parameter q is: {q}")
        await websocket.send_text(f"Message text was: {data}, for item ID: {item_id}")
