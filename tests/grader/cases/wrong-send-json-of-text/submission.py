# Sends the reply text with send_json: it arrives as a JSON string, in quotes.
from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    await websocket.send_json(f"Message text was: {data}")
