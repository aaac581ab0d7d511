from fastapi import FastAPI, WebSocket

app = FastAPI()
replies_sent: dict[str, int] = {}


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    await websocket.send_text(f"Message text was: {data}")
    replies_sent[data] += 1
