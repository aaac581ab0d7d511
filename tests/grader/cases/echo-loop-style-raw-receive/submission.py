# Raw receive()/send() dicts; leaves the loop on the websocket.disconnect message.
from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            break
        text = message.get("text")
        await websocket.send({"type": "websocket.send", "text": f"Message text was: {text}"})
