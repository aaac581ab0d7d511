# Accepts without choosing a subprotocol, so the client cannot know which format follows.
from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from fastapi.responses import PlainTextResponse

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    if websocket.headers.get("x-api-key") != "secret-key-123":
        await websocket.send_denial_response(PlainTextResponse("Invalid API key", status_code=403))
        return
    await websocket.accept()
    try:
        while True:
            data = await websocket.receive_text()
            await websocket.send_text(f"[chat.v1] {data}")
    except WebSocketDisconnect:
        pass
