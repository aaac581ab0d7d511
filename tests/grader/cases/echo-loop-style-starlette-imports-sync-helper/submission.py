# WebSocket/WebSocketDisconnect from starlette, a sync helper and a helper coroutine.
from fastapi import FastAPI
from starlette.websockets import WebSocket, WebSocketDisconnect

app = FastAPI()
history: list[str] = []


def make_reply(text: str) -> str:
    history.append(text)
    return "Message text was: " + text


async def serve(websocket: WebSocket) -> None:
    while True:
        data = await websocket.receive_text()
        await websocket.send_text(make_reply(data))


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    try:
        await serve(websocket)
    except WebSocketDisconnect as exc:
        print(f"disconnected: {exc.code}, {len(history)} messages")
