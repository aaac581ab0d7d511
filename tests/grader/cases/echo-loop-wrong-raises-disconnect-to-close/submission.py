# Raises WebSocketDisconnect itself to end the connection once the client says goodbye... which never
# closes anything cleanly: the exception escapes the endpoint.
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(code=1000)
        await websocket.send_text(f"Message text was: {message['text']}")
