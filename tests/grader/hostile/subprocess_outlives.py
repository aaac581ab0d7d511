"""Answers correctly but leaves a long-running subprocess behind."""
import subprocess

from fastapi import FastAPI, WebSocket

app = FastAPI()
children = []


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    children.append(subprocess.Popen(["/bin/sleep", "__MARKER__"], start_new_session=True))  # noqa: ASYNC220
    await websocket.send_text(f"Message text was: {data}")
