# encoding = "bytes": Starlette refuses the text frame.
from starlette.endpoints import WebSocketEndpoint
from starlette.websockets import WebSocket


class BinaryEcho(WebSocketEndpoint):
    encoding = "bytes"

    async def on_receive(self, websocket: WebSocket, data: bytes) -> None:
        await websocket.send_bytes(data)
