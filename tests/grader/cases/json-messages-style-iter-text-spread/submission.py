# iter_text() + a sync parse helper; echoes {"type": "echo", **message} with send_text(json.dumps(...)).
import json

from fastapi import FastAPI, WebSocket

app = FastAPI()


def parse(raw: str) -> dict | None:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    async for raw in websocket.iter_text():
        message = parse(raw)
        if message is None:
            await websocket.send_text(json.dumps({"type": "error", "message": "invalid JSON"}))
        elif "text" not in message:
            await websocket.send_text(json.dumps({"type": "error", "message": "missing 'text'"}))
        else:
            await websocket.send_text(json.dumps({"type": "echo", **message}))
