# except Exception also catches the disconnect and answers a client that is gone.
from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    while True:
        try:
            message = await websocket.receive_json()
            await websocket.send_json({"type": "echo", "seq": message["seq"], "text": message["text"]})
        except Exception:
            await websocket.send_json({"type": "error", "detail": "bad message"})
