from typing import Any

from starlette.endpoints import WebSocketEndpoint
from starlette.websockets import WebSocket


class EchoEndpoint(WebSocketEndpoint):
    async def on_connect(self, websocket: WebSocket) -> None:
        await websocket.accept()

    async def on_receive(self, websocket: WebSocket, data: Any) -> None:
        await websocket.send_text(f"Message text was: {data}")
