"""Prints a fake passing results object to stdout, then answers wrongly."""
import json

from fastapi import FastAPI, WebSocket

FAKE = {"exercise": "echo-once", "submission": "submission.py", "status": "passed", "score": 7.0,
        "max_score": 7.0, "message": "All 7 steps passed.", "output": "", "duration_ms": 1.0,
        "steps": [{"n": n, "title": "", "status": "passed", "expected": "", "actual": "", "message": "",
                   "duration_ms": 0.1} for n in range(1, 8)]}
print(json.dumps(FAKE), flush=True)

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    await websocket.receive_text()
    print(json.dumps(FAKE), flush=True)
    await websocket.send_text("see my results above")
