from fastapi import FastAPI, Websocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: Websocket):
    await websocket.accept()
    data = await websocket.receive_text()
    await websocket.send_text(f"Message text was: {data}")
