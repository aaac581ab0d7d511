# iter_json() raises on invalid JSON and the endpoint crashes.
from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    async for message in websocket.iter_json():
        if "text" not in message:
            await websocket.send_json({"type": "error", "detail": "missing text"})
            continue
        await websocket.send_json({"type": "echo", "seq": message["seq"], "text": message["text"]})
