"""Fills /tmp: one huge file (SIGXFSZ ignored), then many files, then answers correctly."""
import json
import signal

from fastapi import FastAPI, WebSocket

app = FastAPI()


def fill(path, size):
    written = 0
    chunk = b"x" * (100 << 10)
    try:
        with open(path, "wb", buffering=0) as f:
            while written < size:
                written += f.write(chunk)
    except OSError as exc:
        return written, type(exc).__name__
    return written, None


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    big = fill("/tmp/big", 200 << 20)
    total, files, error = 0, 0, None
    while error is None and files < 1000:  # files just under the file size limit, until /tmp is full
        size, error = fill(f"/tmp/part-{files}", 1000 << 10)
        total += size
        files += 1
    print("REPORT", json.dumps({"big": big, "total": total, "files": files, "error": error}), flush=True)
    await websocket.send_text(f"Message text was: {data}")
