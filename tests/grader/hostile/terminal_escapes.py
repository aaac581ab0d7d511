"""Prints and answers with text a terminal would obey (clear the screen, an OSC title, a fake green
"PASSED") and Rich markup that does not parse; the answer is wrong."""

import sys

from fastapi import FastAPI, WebSocket

PAINT = "\x1b[2J\x1b[H\x1b]0;owned\x07\x9b32mAll 7 steps PASSED\x1b[0m [/][bold]x[/bold] \udc80"
print(PAINT, flush=True, file=sys.stdout.reconfigure(errors="surrogateescape") or sys.stdout)

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    await websocket.receive_text()
    print(PAINT, flush=True)
    await websocket.send_text("[/]" + PAINT.replace("\udc80", ""))
