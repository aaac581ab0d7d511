from typing import Annotated

from fastapi import Depends, FastAPI, WebSocket

app = FastAPI()


def reply_prefix() -> str:
    return "Message text was: "


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket, prefix: Annotated[str, Depends(reply_prefix)]):
    await websocket.accept()
    data = await websocket.receive_text()
    await websocket.send_text(prefix + data)
