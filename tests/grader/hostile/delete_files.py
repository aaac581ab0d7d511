"""Tries to delete the repository, the grader, /usr and its own interpreter, then answers correctly."""
import json
import os
import shutil
import sys

from fastapi import FastAPI, WebSocket

app = FastAPI()


class Refused(Exception):
    pass


def attempt(path):
    def stop(function, name, info):  # the first refusal ends the walk: /usr is too big to walk in a step
        raise Refused(info[0].__name__)

    try:
        shutil.rmtree(path, onerror=stop)
    except Refused as refused:
        return str(refused)
    return "deleted"


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    paths = ["__REPO__", "__REPO__/grader", "__REPO__/exercises", "/usr", "/usr/lib", "/bin", sys.prefix]
    report = {path: attempt(path) for path in paths}
    try:
        os.unlink(sys.executable)
        report["python"] = "deleted"
    except OSError as exc:
        report["python"] = type(exc).__name__
    print("REPORT", json.dumps(report), flush=True)
    await websocket.send_text(f"Message text was: {data}")
