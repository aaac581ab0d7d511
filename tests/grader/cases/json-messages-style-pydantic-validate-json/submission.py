# Pydantic models: model_validate_json in, model_dump_json out.
from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ValidationError

app = FastAPI()


class Incoming(BaseModel):
    seq: int | None = None
    text: str


class Echo(BaseModel):
    type: str = "echo"
    seq: int | None
    text: str


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    try:
        while True:
            raw = await websocket.receive_text()
            try:
                incoming = Incoming.model_validate_json(raw)
            except ValidationError as exc:
                await websocket.send_json({"type": "error", "errors": exc.errors(include_url=False)[:1]})
                continue
            await websocket.send_text(Echo(seq=incoming.seq, text=incoming.text).model_dump_json())
    except WebSocketDisconnect:
        pass
