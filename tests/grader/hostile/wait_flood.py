"""Once it has the message, writes 400,000 "wait" frames (built while loading) to its connection in one go,
then answers: each step's deadline must hold however many are queued, and the grader must not keep them."""
import json
import os
import socket
import struct

from fastapi import FastAPI, WebSocket

app = FastAPI()
_BODY = json.dumps({"t": "wait", "taken": 1}).encode()
BURST = (struct.pack(">I", len(_BODY)) + _BODY) * 400_000


def flood():
    for fd in range(3, 64):
        try:
            sock = socket.socket(fileno=os.dup(fd))
        except OSError:
            continue
        try:
            if sock.type == socket.SOCK_STREAM:
                sock.settimeout(5)
                sock.sendall(BURST)
        except OSError:
            pass  # the grader ended the connection
        finally:
            sock.close()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    flood()
    await websocket.send_text(f"Message text was: {data}")
