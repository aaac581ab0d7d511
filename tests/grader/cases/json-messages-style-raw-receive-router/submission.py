# APIRouter, raw receive() dicts, one except for every kind of bad message.
import json

from fastapi import APIRouter, WebSocket

router = APIRouter()


@router.websocket("/ws")
async def json_echo(websocket: WebSocket):
    await websocket.accept()
    while True:
        event = await websocket.receive()
        if event["type"] == "websocket.disconnect":
            break
        try:
            payload = json.loads(event.get("text") or event.get("bytes") or "")
            reply = {"type": "echo", "seq": payload["seq"], "text": payload["text"]}
        except (ValueError, KeyError, TypeError) as problem:
            reply = {"type": "error", "detail": f"bad message: {problem}"}
        await websocket.send_json(reply)
