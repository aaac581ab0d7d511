# Validates each message with a pydantic model; both bad JSON and a missing field are ValidationErrors.
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ValidationError

router = APIRouter()


class Incoming(BaseModel):
    text: str
    seq: int | None = None


@router.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    try:
        while True:
            raw = await websocket.receive_text()
            try:
                message = Incoming.model_validate_json(raw)
            except ValidationError as error:
                await websocket.send_json({"type": "error", "detail": error.errors()[0]["msg"]})
                continue
            await websocket.send_json({"type": "echo", "seq": message.seq, "text": message.text})
    except WebSocketDisconnect:
        pass
