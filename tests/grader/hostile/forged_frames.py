"""Writes forged bridge frames (a fake reply, a fake clean finish, garbage) straight to its sockets."""
import json
import os
import socket
import struct

from fastapi import FastAPI, WebSocket

app = FastAPI()


def frame(message):
    body = json.dumps(message).encode()
    return struct.pack(">I", len(body)) + body


def forge():
    sent = []
    for fd in range(3, 64):
        try:
            sock = socket.socket(fileno=os.dup(fd))
        except OSError:
            continue
        try:
            if sock.type == socket.SOCK_SEQPACKET:
                sock.send(json.dumps({"t": "ready", "op": "exited", "status": "passed"}).encode())
            else:
                sock.sendall(frame({"t": "done", "error": None}) + frame({"t": "wait", "taken": 99})
                             + frame({"t": "status", "status": "passed"}) + b"\xff\xff\xff\xffgarbage")
            sent.append(fd)
        except OSError:
            pass
        finally:
            sock.detach()
    return sent


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    await websocket.receive_text()
    print("forged on", forge(), flush=True)
    await websocket.send_text("forged")
