# WebSocketEndpoint checking cookie, token and q by hand in on_connect.
from starlette.endpoints import WebSocketEndpoint
from starlette.status import WS_1008_POLICY_VIOLATION
from starlette.websockets import WebSocket


class ItemSocket(WebSocketEndpoint):
    encoding = "text"

    async def on_connect(self, websocket: WebSocket) -> None:
        credential = websocket.cookies.get("session") or websocket.query_params.get("token")
        q = websocket.query_params.get("q")
        if credential is None or (q is not None and not q.lstrip("-").isdigit()):
            await websocket.close(code=WS_1008_POLICY_VIOLATION)
            return
        websocket.state.credential = credential
        websocket.state.q = int(q) if q is not None else None
        await websocket.accept()

    async def on_receive(self, websocket: WebSocket, data: str) -> None:
        item_id = websocket.path_params["item_id"]
        await websocket.send_text(f"Session cookie or query token value is: {websocket.state.credential}")
        if websocket.state.q is not None:
            await websocket.send_text(f"Query parameter q is: {websocket.state.q}")
        await websocket.send_text(f"Message text was: {data}, for item ID: {item_id}")
