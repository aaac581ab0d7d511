# A small class wraps the conversation; the endpoint only wires it to the socket.
from dataclasses import dataclass

from fastapi import FastAPI, WebSocket

app = FastAPI()


@dataclass
class EchoConversation:
    websocket: WebSocket
    prefix: str = "Message text was: "

    async def run(self) -> None:
        await self.websocket.accept()
        data = await self.websocket.receive_text()
        await self.websocket.send_text(self.prefix + data)


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket):
    await EchoConversation(websocket).run()
