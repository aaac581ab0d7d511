from fastapi import FastAPI, WebSocket, status

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.close(code=status.WS_1008_POLICY_VIOLATION)
