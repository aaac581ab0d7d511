# Reads the cookie and query string by hand and closes before accepting when both are missing;
# q is still declared as `int | None`, so FastAPI validates it.
from fastapi import FastAPI, WebSocket, WebSocketDisconnect, status

app = FastAPI()


@app.websocket("/items/{item_id}/ws")
async def websocket_endpoint(websocket: WebSocket, item_id: str, q: int | None = None):
    credential = websocket.cookies.get("session") or websocket.query_params.get("token")
    if credential is None:
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION)
        return
    await websocket.accept()
    try:
        while True:
            data = await websocket.receive_text()
            await websocket.send_text(f"Session cookie or query token value is: {credential}")
            if q is not None:
                await websocket.send_text(f"Query parameter q is: {q}")
            await websocket.send_text(f"Message text was: {data}, for item ID: {item_id}")
    except WebSocketDisconnect:
        pass
