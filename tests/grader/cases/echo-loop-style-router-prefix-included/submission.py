# APIRouter(prefix="/ws") with an empty route path, included in an app.
from fastapi import APIRouter, FastAPI, WebSocket, WebSocketDisconnect

router = APIRouter(prefix="/ws", tags=["echo"])


@router.websocket("")
async def echo(websocket: WebSocket):
    await websocket.accept()
    try:
        while True:
            text = await websocket.receive_text()
            await websocket.send_text(f"Message text was: {text}")
    except WebSocketDisconnect:
        pass


app = FastAPI(title="Echo")
app.include_router(router)
