from fastapi import FastAPI, WebSocket
from fastapi.responses import HTMLResponse

app = FastAPI(title="Echo")


@app.get("/")
async def index() -> HTMLResponse:
    return HTMLResponse("<script>new WebSocket('ws://' + location.host + '/ws')</script>")


@app.websocket("/chat")
async def chat(websocket: WebSocket):
    await websocket.accept()
    await websocket.send_text("this route is not part of the lesson")


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    await websocket.send_text(f"Message text was: {data}")
