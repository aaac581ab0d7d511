# Plain Starlette: a WebSocketRoute whose endpoint loops over iter_text().
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket


async def echo(websocket: WebSocket):
    await websocket.accept()
    async for message in websocket.iter_text():
        await websocket.send_text("Message text was: " + message)


routes = [WebSocketRoute("/ws", endpoint=echo)]
app = Starlette(debug=True, routes=routes)
