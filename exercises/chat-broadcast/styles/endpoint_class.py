# A WebSocketEndpoint: Starlette calls on_connect, on_receive and on_disconnect for us.
from starlette.endpoints import WebSocketEndpoint
from starlette.websockets import WebSocket

members: set[WebSocket] = set()


async def broadcast(text: str) -> None:
    for member in list(members):
        await member.send_text(text)


class ChatRoom(WebSocketEndpoint):
    encoding = "text"

    async def on_connect(self, websocket: WebSocket) -> None:
        await websocket.accept()
        members.add(websocket)

    async def on_receive(self, websocket: WebSocket, data: str) -> None:
        client_id = websocket.path_params["client_id"]
        await websocket.send_text(f"You wrote: {data}")
        await broadcast(f"Client #{client_id} says: {data}")

    async def on_disconnect(self, websocket: WebSocket, close_code: int) -> None:
        members.discard(websocket)
        await broadcast(f"Client #{websocket.path_params['client_id']} left the chat")
