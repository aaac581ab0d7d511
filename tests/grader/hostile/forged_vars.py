"""Answers wrongly, and reports variables that look right (forged "vars" frames, newest by number)."""
import json
import os
import socket
import struct

from fastapi import FastAPI, WebSocket

app = FastAPI()


def frame(message):
    body = json.dumps(message).encode()
    return struct.pack(">I", len(body)) + body


def forge_vars(data):
    shown = {"data": repr(data), "response": repr(f"Message text was: {data}")}
    for fd in range(3, 64):
        try:
            sock = socket.socket(fileno=os.dup(fd))
        except OSError:
            continue
        try:
            if sock.type == socket.SOCK_STREAM:
                sock.sendall(frame({"t": "vars", "taken": 2, "seq": 10**9, "paused": True, "vars": shown}))
        except OSError:
            pass
        finally:
            sock.close()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    forge_vars(data)
    await websocket.send_text("Message text was: something else")
