# The reply is built by a small pure function, which is easy to test on its own.
from fastapi import FastAPI, WebSocket

app = FastAPI()


def reply_to(message: str) -> str:
    return "Message text was: %s" % message


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    response = reply_to(data)
    await websocket.send_text(response)
