# encoding = "json": Starlette closes on invalid JSON before on_receive can answer.
from starlette.endpoints import WebSocketEndpoint
from starlette.websockets import WebSocket


class JsonEcho(WebSocketEndpoint):
    encoding = "json"

    async def on_receive(self, websocket: WebSocket, data) -> None:
        if "text" not in data:
            await websocket.send_json({"type": "error", "detail": "text is required"})
            return
        await websocket.send_json({"type": "echo", "seq": data.get("seq"), "text": data["text"]})
