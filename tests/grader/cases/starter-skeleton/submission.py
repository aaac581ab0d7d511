from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    # Step 2: accept the connection; the handshake is not finished until you do.
    # Step 3: wait for the client's text message and keep it in `data`.
    # Steps 5-6: send back "Message text was: " followed by the message.
    ...
