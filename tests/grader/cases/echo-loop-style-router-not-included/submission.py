# An app with only an HTTP route and an APIRouter holding the WebSocket route, never included: the grader mounts the router.
from fastapi import APIRouter, FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()
router = APIRouter()


@app.get("/health")
def health():
    return {"ok": True}


@router.websocket("/ws")
async def echo(websocket: WebSocket):
    await websocket.accept()
    try:
        while True:
            await websocket.send_text(f"Message text was: {await websocket.receive_text()}")
    except WebSocketDisconnect:
        pass
