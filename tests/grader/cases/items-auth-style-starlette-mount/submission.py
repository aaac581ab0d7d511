# Plain Starlette: Mount("/items") around a WebSocketRoute, checks by hand.
from starlette.applications import Starlette
from starlette.routing import Mount, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect


async def item_socket(websocket: WebSocket):
    credential = websocket.cookies.get("session") or websocket.query_params.get("token")
    raw_q = websocket.query_params.get("q")
    try:
        q = int(raw_q) if raw_q is not None else None
    except ValueError:
        q = "invalid"
    if not credential or q == "invalid":
        await websocket.close(code=1008)
        return
    await websocket.accept()
    item_id = websocket.path_params["item_id"]
    try:
        while True:
            data = await websocket.receive_text()
            await websocket.send_text(f"Session cookie or query token value is: {credential}")
            if q is not None:
                await websocket.send_text(f"Query parameter q is: {q}")
            await websocket.send_text(f"Message text was: {data}, for item ID: {item_id}")
    except WebSocketDisconnect:
        pass


app = Starlette(routes=[Mount("/items", routes=[WebSocketRoute("/{item_id}/ws", item_socket)])])
