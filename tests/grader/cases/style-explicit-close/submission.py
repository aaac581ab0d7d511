# Replies once, then closes the connection itself (step 7: "or closes").
from fastapi import FastAPI, WebSocket, status

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    await websocket.send_text(f"Message text was: {data}")
    await websocket.close(code=status.WS_1000_NORMAL_CLOSURE)
