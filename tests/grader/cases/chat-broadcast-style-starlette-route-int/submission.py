# Plain Starlette with a {client_id:int} convertor and path_params.
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

connections = []


async def chat(websocket: WebSocket):
    client_id = websocket.path_params["client_id"]
    await websocket.accept()
    connections.append(websocket)
    try:
        while True:
            data = await websocket.receive_text()
            await websocket.send_text("You wrote: " + data)
            for other in connections:
                await other.send_text(f"Client #{client_id} says: {data}")
    except WebSocketDisconnect:
        connections.remove(websocket)
        for other in connections:
            await other.send_text(f"Client #{client_id} left the chat")


app = Starlette(routes=[WebSocketRoute("/ws/{client_id:int}", chat)])
