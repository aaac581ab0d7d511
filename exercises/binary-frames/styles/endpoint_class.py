# With no encoding set, WebSocketEndpoint hands on_receive either str or bytes.
from starlette.endpoints import WebSocketEndpoint
from starlette.websockets import WebSocket


class BinaryEcho(WebSocketEndpoint):
    encoding = None

    async def on_receive(self, websocket: WebSocket, data: str | bytes) -> None:
        if isinstance(data, str):
            data = data.encode("utf-8")
        await websocket.send_bytes(data)
