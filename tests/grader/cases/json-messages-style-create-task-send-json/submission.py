# Correct: every JSON reply goes out from a task of its own while the loop waits for the next message.
import asyncio
import json

from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    pending: set[asyncio.Task[None]] = set()

    def reply(data: dict) -> None:
        task = asyncio.create_task(websocket.send_json(data))
        pending.add(task)
        task.add_done_callback(pending.discard)

    try:
        while True:
            raw = await websocket.receive_text()
            try:
                message = json.loads(raw)
            except json.JSONDecodeError:
                reply({"type": "error", "detail": "Invalid JSON"})
                continue
            if not isinstance(message, dict) or "text" not in message:
                reply({"type": "error", "detail": "Missing field: text"})
                continue
            reply({"type": "echo", "seq": message.get("seq"), "text": message["text"]})
    except WebSocketDisconnect:
        pass
