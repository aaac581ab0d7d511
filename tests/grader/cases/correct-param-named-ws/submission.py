from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def chat(ws: WebSocket) -> None:
    await ws.accept()
    text = await ws.receive_text()
    response = "Message text was: {}".format(text)
    await ws.send_text(response)
