from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    first = await websocket.receive_text()
    second = await websocket.receive_text()
    await websocket.send_text(f"Message text was: {first} {second}")
