# Plain Starlette, no FastAPI: a WebSocketRoute in the routes list.
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket


async def echo(websocket: WebSocket) -> None:
    await websocket.accept()
    data = await websocket.receive_text()
    await websocket.send_text(f"Message text was: {data}")


app = Starlette(routes=[WebSocketRoute("/ws", echo)])
