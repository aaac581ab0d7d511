# Hostile: patches the test client and Starlette in its own process, hoping the checks see
# a correct reply. The checks run in the grader's process, so the endpoint still never replies.
import starlette.testclient
import starlette.websockets
from fastapi import FastAPI, WebSocket

starlette.testclient.WebSocketTestSession.receive_text = lambda self: "Message text was: Hello"  # type: ignore
starlette.websockets.WebSocket.send_text = lambda self, data: None  # type: ignore

app = FastAPI()


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await websocket.accept()
    await websocket.receive_text()
