# Accepts first and only then checks the credentials.
from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/items/{item_id}/ws")
async def websocket_endpoint(websocket: WebSocket, item_id: str, q: int | None = None):
    await websocket.accept()
    token = websocket.cookies.get("session") or websocket.query_params.get("token")
    if token is None:
        await websocket.close(code=1008)
        return
    while True:
        data = await websocket.receive_text()
        await websocket.send_text(f"Session cookie or query token value is: {token}")
        if q is not None:
            await websocket.send_text(f"Query parameter q is: {q}")
        await websocket.send_text(f"Message text was: {data}, for item ID: {item_id}")
