# The closing rules as data: the first rule that matches decides the code and reason.
from collections.abc import Callable

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

router = APIRouter()

CLOSING_RULES: list[tuple[Callable[[str], bool], int, str]] = [
    (lambda text: text == "bye", 1000, "Goodbye"),
    (lambda text: len(text) > 100, 1009, "Message too long"),
    (lambda text: "spam" in text, 1008, "No spam allowed"),
]


@router.websocket("/ws")
async def guarded_echo(websocket: WebSocket):
    await websocket.accept()
    try:
        while True:
            text = await websocket.receive_text()
            for matches, code, reason in CLOSING_RULES:
                if matches(text):
                    await websocket.close(code=code, reason=reason)
                    return
            await websocket.send_text(f"Echo: {text}")
    except WebSocketDisconnect:
        return
