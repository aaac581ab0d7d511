"""Lifts the recursion limit and recurses through C code (repr calling __repr__) until the C stack overflows."""
import gc
import sys

from fastapi import FastAPI, WebSocket

app = FastAPI()


class Node:
    def __init__(self, inner):
        self.inner = inner

    def __repr__(self):
        return repr(self.inner)


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    data = await websocket.receive_text()
    gc.disable()
    sys.setrecursionlimit(10**6)
    nested = None
    for _ in range(200_000):
        nested = Node(nested)
    await websocket.send_text(f"Message text was: {data} " + repr(nested)[:10])
