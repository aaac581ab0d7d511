"""Answers, then writes the relay's "finished cleanly" frame itself, and crashes once the grader has had time
to believe it: the crash must still count."""
import asyncio
import json
import os
import socket
import struct

from fastapi import FastAPI, WebSocket

app = FastAPI()


def frame(message):
    body = json.dumps(message).encode()
    return struct.pack(">I", len(body)) + body


def forge_finished():
    for fd in range(3, 64):
        try:
            sock = socket.socket(fileno=os.dup(fd))
        except OSError:
            continue
        try:
            if sock.type == socket.SOCK_STREAM:
                sock.sendall(frame({"t": "done", "error": None}))
        except OSError:
            pass
        finally:
            sock.close()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    await websocket.send_text(f"Message text was: {data}")
    forge_finished()
    await asyncio.sleep(0.3)
    raise RuntimeError("crashed after the reply")
