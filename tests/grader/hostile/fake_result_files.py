"""Writes fake passing result files where graders look for them, and into the repo, then answers wrongly."""
import json
import os

from fastapi import FastAPI, WebSocket

FAKE = json.dumps({"status": "passed", "score": 7.0, "max_score": 7.0, "tests": [], "by": "__TOKEN__"})
TARGETS = [
    "/tmp/results.json",
    "/tmp/tracedojo-hostile-__TOKEN__.json",
    "/autograder/results/results.json",
    "/results.json",
    "__REPO__/hostile-__TOKEN__.json",
    "__REPO__/grader/grading.py",
    "__REPO__/grader/hostile-__TOKEN__.py",
    "__REPO__/exercises/echo-once/solution.py",
    "__CANARY_DIR__/written-__TOKEN__.txt",
]


def attempt(path):
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(FAKE)
        return "written"
    except OSError as exc:
        return "denied:" + type(exc).__name__


report = {path: attempt(path) for path in TARGETS}
print("REPORT", json.dumps(report), flush=True)

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    await websocket.receive_text()
    await websocket.send_text("results written")
