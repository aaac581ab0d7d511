# WebSocketEndpoint that closes inside on_receive; Starlette's loop then ends on the disconnect.
from starlette import status
from starlette.endpoints import WebSocketEndpoint
from starlette.websockets import WebSocket


class GuardedEcho(WebSocketEndpoint):
    encoding = "text"

    async def on_receive(self, websocket: WebSocket, data: str) -> None:
        if data == "bye":
            await websocket.close(code=status.WS_1000_NORMAL_CLOSURE, reason="Goodbye")
        elif len(data) > 100:
            await websocket.close(code=status.WS_1009_MESSAGE_TOO_BIG, reason="Message too long")
        elif "spam" in data:
            await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason="No spam allowed")
        else:
            await websocket.send_text(f"Echo: {data}")
