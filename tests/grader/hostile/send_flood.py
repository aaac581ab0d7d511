"""Once it has the message, takes over the relay's connection (found through the garbage collector, frame
numbers kept right) and pushes megabyte "send" frames at the grader for two seconds, blocking its own event
loop, before answering: what the grader holds for a slow reader must stay bounded."""
import gc
import json
import socket
import struct
import time

from fastapi import FastAPI, WebSocket

app = FastAPI()
CHUNK = "x" * 1_000_000


def frame(message):
    body = json.dumps(message).encode()
    return struct.pack(">I", len(body)) + body


def flood(seconds):
    connection = next(o for o in gc.get_objects() if type(o).__name__ == "_Connection" and not getattr(o, "ended", False))
    sock = socket.socket(fileno=connection.sock.fileno())
    sock.settimeout(0.5)
    sent = 0
    end = time.monotonic() + seconds
    try:
        while time.monotonic() < end:
            message = {"t": "send", "m": {"type": "websocket.send", "text": CHUNK}}
            if hasattr(connection, "numbered"):
                connection.numbered += 1
                message["n"] = connection.numbered
            sock.sendall(frame(message))
            sent += 1
    except OSError:
        pass  # the grader stopped reading: a timeout, then the frame is cut and the connection broken
    finally:
        sock.detach()
    return sent


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    print("REPORT", json.dumps({"sent": flood(2.0)}), flush=True)
    await websocket.send_text(f"Message text was: {data}")
