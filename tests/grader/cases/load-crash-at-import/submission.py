from fastapi import FastAPI, WebSocket

ROUTES = {"echo": "/ws"}
app = FastAPI()


@app.websocket(ROUTES["ws"])
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    await websocket.send_text(f"Message text was: {data}")
