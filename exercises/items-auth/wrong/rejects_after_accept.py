# Accepts first and only then checks credentials: the stranger was let in before being closed.
from fastapi import FastAPI, WebSocket, status

app = FastAPI()


@app.websocket("/items/{item_id}/ws")
async def websocket_endpoint(websocket: WebSocket, item_id: str, q: int | None = None):
    await websocket.accept()
    credential = websocket.cookies.get("session") or websocket.query_params.get("token")
    if credential is None:
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION)
        return
    while True:
        data = await websocket.receive_text()
        await websocket.send_text(f"Session cookie or query token value is: {credential}")
        if q is not None:
            await websocket.send_text(f"Query parameter q is: {q}")
        await websocket.send_text(f"Message text was: {data}, for item ID: {item_id}")
