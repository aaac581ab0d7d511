# Correct: the answers to each message are sent by a task of their own; the loop waits again at once.
import asyncio
from typing import Annotated

from fastapi import Cookie, Depends, FastAPI, Query, WebSocket, WebSocketException, status

app = FastAPI()
answering: set[asyncio.Task[None]] = set()


async def get_cookie_or_token(
    websocket: WebSocket,
    session: Annotated[str | None, Cookie()] = None,
    token: Annotated[str | None, Query()] = None,
) -> str:
    if session is None and token is None:
        raise WebSocketException(code=status.WS_1008_POLICY_VIOLATION)
    return session or token


async def answer(websocket: WebSocket, lines: list[str]) -> None:
    for line in lines:
        await websocket.send_text(line)


@app.websocket("/items/{item_id}/ws")
async def websocket_endpoint(
    *,
    websocket: WebSocket,
    item_id: str,
    q: int | None = None,
    cookie_or_token: Annotated[str, Depends(get_cookie_or_token)],
):
    await websocket.accept()
    while True:
        data = await websocket.receive_text()
        lines = [f"Session cookie or query token value is: {cookie_or_token}"]
        if q is not None:
            lines.append(f"Query parameter q is: {q}")
        lines.append(f"Message text was: {data}, for item ID: {item_id}")
        task = asyncio.create_task(answer(websocket, lines))
        answering.add(task)
        task.add_done_callback(answering.discard)
