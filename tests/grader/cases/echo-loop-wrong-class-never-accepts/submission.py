# Overrides on_connect to log and forgets to accept (times out at the handshake).
from starlette.endpoints import WebSocketEndpoint


class Echo(WebSocketEndpoint):
    encoding = "text"

    async def on_connect(self, websocket):
        print("someone connected")

    async def on_receive(self, websocket, data):
        await websocket.send_text(f"Message text was: {data}")
