from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    print("accepting")
    await websocket.accept()
    data = await websocket.receive_text()
    print("received", data)
    await websocket.send_text(f"Message text was: {data}")
    print("replied")
