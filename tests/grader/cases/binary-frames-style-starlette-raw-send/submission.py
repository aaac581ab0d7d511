# Plain Starlette, a walrus loop and raw send() of websocket.send dicts.
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket


def as_bytes(message: dict) -> bytes:
    if message.get("bytes") is not None:
        return message["bytes"]
    return bytes(message["text"], "utf-8")


async def binary_echo(websocket: WebSocket) -> None:
    await websocket.accept()
    while (message := await websocket.receive())["type"] != "websocket.disconnect":
        await websocket.send({"type": "websocket.send", "bytes": as_bytes(message)})


app = Starlette(routes=[WebSocketRoute("/ws", binary_echo)])
