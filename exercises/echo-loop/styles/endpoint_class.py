# Starlette's WebSocketEndpoint runs the receive loop and handles the disconnect itself.
from starlette.endpoints import WebSocketEndpoint
from starlette.websockets import WebSocket


class Echo(WebSocketEndpoint):
    encoding = "text"

    async def on_receive(self, websocket: WebSocket, data: str) -> None:
        await websocket.send_text(f"Message text was: {data}")
