# Starlette's class-based endpoint: on_connect accepts, on_receive gets decoded text.
from starlette.endpoints import WebSocketEndpoint
from starlette.websockets import WebSocket


class Echo(WebSocketEndpoint):
    encoding = "text"

    async def on_receive(self, websocket: WebSocket, data: str) -> None:
        await websocket.send_text(f"Message text was: {data}")
