"""Tries to reach the grader's loopback listener and the outside world, then answers correctly."""
import json
import socket

from fastapi import FastAPI, WebSocket

app = FastAPI()


def attempt(family, kind, address):
    try:
        with socket.socket(family, kind) as s:
            s.settimeout(0.3)
            s.connect(address)
            if kind == socket.SOCK_DGRAM:
                s.send(b"hello")
            return "connected"
    except OSError as exc:
        return "refused:" + type(exc).__name__


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    report = {
        "loopback": attempt(socket.AF_INET, socket.SOCK_STREAM, ("127.0.0.1", int("__PORT__"))),
        "loopback_udp": attempt(socket.AF_INET, socket.SOCK_DGRAM, ("127.0.0.1", int("__PORT__"))),
        "outside": attempt(socket.AF_INET, socket.SOCK_STREAM, ("1.1.1.1", 80)),
        "ipv6": attempt(socket.AF_INET6, socket.SOCK_STREAM, ("::1", int("__PORT__"))),
        "abstract_unix": attempt(socket.AF_UNIX, socket.SOCK_STREAM, "\0tracedojo-__TOKEN__"),
        "interfaces": [name for _, name in socket.if_nameindex()],
    }
    print("REPORT", json.dumps(report), flush=True)
    await websocket.send_text(f"Message text was: {data}")
