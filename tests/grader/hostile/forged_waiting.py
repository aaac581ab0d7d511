"""Claims to be waiting for a message while it blocks the event loop: it digs the relay's connection out of
the garbage collector and writes a "wait" frame with the relay's own next frame number, so the frame count
stays right; only the kernel's view of its event loop can tell."""
import gc
import json
import socket
import struct
import time

from fastapi import FastAPI, WebSocket

app = FastAPI()


def frame(message):
    body = json.dumps(message).encode()
    return struct.pack(">I", len(body)) + body


def forge_waiting():
    forged = []
    for obj in gc.get_objects():
        if type(obj).__name__ == "_Connection" and not getattr(obj, "ended", False):
            message = {"t": "wait", "taken": obj.taken}
            if hasattr(obj, "numbered"):
                obj.numbered += 1
                message["n"] = obj.numbered
            sock = socket.socket(fileno=obj.sock.fileno())
            try:
                sock.sendall(frame(message))
                forged.append(obj.taken)
            finally:
                sock.detach()
    print("forged", forged, flush=True)


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    forge_waiting()
    time.sleep(3)  # busy: a client's message would sit unread
    data = await websocket.receive_text()
    await websocket.send_text(f"Message text was: {data}")
