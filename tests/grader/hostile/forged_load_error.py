"""While loading, sends the grader a load error of its own (with text that breaks terminals and encoders),
then defines a correct endpoint."""
import json
import os
import socket

from fastapi import FastAPI, WebSocket

for fd in range(3, 64):
    try:
        sock = socket.socket(fileno=os.dup(fd))
    except OSError:
        continue
    try:
        if sock.type == socket.SOCK_SEQPACKET:
            forged = {"t": "load_error", "kind": "syntax", "line": 1,
                      "message": "\x1b[2J\x1b[HAll steps PASSED \\ud800"}
            sock.send(json.dumps(forged).replace("\\\\ud800", "\\ud800").encode())
    except OSError:
        pass
    finally:
        sock.close()

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    await websocket.send_text(f"Message text was: {data}")
