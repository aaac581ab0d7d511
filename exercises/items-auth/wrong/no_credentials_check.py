# Lets anyone in: a connection without cookie or token is accepted.
from fastapi import Cookie, FastAPI, Query, WebSocket

app = FastAPI()


@app.websocket("/items/{item_id}/ws")
async def websocket_endpoint(
    websocket: WebSocket,
    item_id: str,
    q: int | None = None,
    session: str | None = Cookie(default=None),
    token: str | None = Query(default=None),
):
    await websocket.accept()
    while True:
        data = await websocket.receive_text()
        await websocket.send_text(f"Session cookie or query token value is: {session or token}")
        if q is not None:
            await websocket.send_text(f"Query parameter q is: {q}")
        await websocket.send_text(f"Message text was: {data}, for item ID: {item_id}")
