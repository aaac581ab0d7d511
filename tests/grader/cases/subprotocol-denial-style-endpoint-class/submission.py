# A WebSocketEndpoint: denial or accept in on_connect, the chosen protocol kept on self.
from starlette.endpoints import WebSocketEndpoint
from starlette.responses import PlainTextResponse
from starlette.websockets import WebSocket

API_KEY = "secret-key-123"
PREFERENCE = ["chat.v2", "chat.v1"]


class Chat(WebSocketEndpoint):
    encoding = "text"

    async def on_connect(self, websocket: WebSocket) -> None:
        if websocket.headers.get("x-api-key") != API_KEY:
            await websocket.send_denial_response(PlainTextResponse("Invalid API key", status_code=403))
            return
        offered = websocket.scope.get("subprotocols", [])
        self.protocol = next((p for p in PREFERENCE if p in offered), None)
        await websocket.accept(subprotocol=self.protocol)

    async def on_receive(self, websocket: WebSocket, data: str) -> None:
        if self.protocol == "chat.v2":
            await websocket.send_json({"protocol": "chat.v2", "text": data})
        else:
            await websocket.send_text(f"[chat.v1] {data}")
