# WebSocketEndpoint with on_connect/on_disconnect, no encoding, module-level counter.
from starlette.endpoints import WebSocketEndpoint
from starlette.websockets import WebSocket

connected = 0


class EchoLoop(WebSocketEndpoint):
    async def on_connect(self, websocket: WebSocket) -> None:
        global connected
        connected += 1
        await websocket.accept()

    async def on_receive(self, websocket: WebSocket, data) -> None:
        await websocket.send_text(f"Message text was: {data}")

    async def on_disconnect(self, websocket: WebSocket, close_code: int) -> None:
        global connected
        connected -= 1
        print("left with", close_code, "still connected:", connected)
