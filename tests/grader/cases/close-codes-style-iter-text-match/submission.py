# iter_text() and a match statement with guards in a sync helper.
from fastapi import FastAPI, WebSocket

app = FastAPI()


def closing_for(text: str) -> tuple[int, str] | None:
    match text:
        case "bye":
            return 1000, "Goodbye"
        case _ if len(text) > 100:
            return 1009, "Message too long"
        case _ if "spam" in text.lower():
            return 1008, "No spam allowed"
    return None


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    async for text in websocket.iter_text():
        verdict = closing_for(text)
        if verdict:
            code, reason = verdict
            await websocket.close(code=code, reason=reason)
            return
        await websocket.send_text(f"Echo: {text}")
