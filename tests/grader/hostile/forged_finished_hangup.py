"""Answers, writes a "finished cleanly" frame, shuts its connection socket down so the relay's own report
cannot follow, then crashes."""
import json
import os
import socket
import struct

from fastapi import FastAPI, WebSocket

app = FastAPI()


def frame(message):
    body = json.dumps(message).encode()
    return struct.pack(">I", len(body)) + body


def forge_and_hang_up():
    for fd in range(3, 64):
        try:
            sock = socket.socket(fileno=os.dup(fd))
        except OSError:
            continue
        try:
            if sock.type == socket.SOCK_STREAM:
                sock.sendall(frame({"t": "done", "error": None}))
                sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        finally:
            sock.close()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    await websocket.send_text(f"Message text was: {data}")
    forge_and_hang_up()
    raise RuntimeError("crashed after the reply")
