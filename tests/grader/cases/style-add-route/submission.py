# Registering the route with a call instead of a decorator.
from fastapi import FastAPI, WebSocket


async def echo(websocket: WebSocket) -> None:
    await websocket.accept()
    data = await websocket.receive_text()
    await websocket.send_text(f"Message text was: {data}")


app = FastAPI()
app.add_api_websocket_route("/ws", echo)
