# A WebSocketEndpoint class registered with @app.websocket_route, Starlette-docs style.
from fastapi import FastAPI
from starlette.endpoints import WebSocketEndpoint

app = FastAPI()


@app.websocket_route("/ws")
class Echo(WebSocketEndpoint):
    encoding = "text"

    async def on_receive(self, websocket, data):
        await websocket.send_text(f"Message text was: {data}")
