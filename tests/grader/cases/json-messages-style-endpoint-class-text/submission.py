# WebSocketEndpoint with encoding = "text" parsing JSON itself.
import json

from starlette.endpoints import WebSocketEndpoint
from starlette.websockets import WebSocket


class JsonEcho(WebSocketEndpoint):
    encoding = "text"

    async def on_receive(self, websocket: WebSocket, data: str) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            await websocket.send_json({"type": "error", "detail": "not JSON"})
            return
        if "text" not in message:
            await websocket.send_json({"type": "error", "detail": "text is required"})
            return
        await websocket.send_json({"type": "echo", "seq": message.get("seq"), "text": message["text"]})
