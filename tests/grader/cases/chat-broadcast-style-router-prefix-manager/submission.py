# APIRouter(prefix="/ws") included in an app, a Room class, iter_text() and finally.
from fastapi import APIRouter, FastAPI, WebSocket, WebSocketDisconnect


class Room:
    def __init__(self) -> None:
        self.members: dict[WebSocket, int] = {}

    async def join(self, websocket: WebSocket, client_id: int) -> None:
        await websocket.accept()
        self.members[websocket] = client_id

    def leave(self, websocket: WebSocket) -> int:
        return self.members.pop(websocket)

    async def say(self, text: str) -> None:
        for member in list(self.members):
            await member.send_text(text)


room = Room()
router = APIRouter(prefix="/ws")


@router.websocket("/{client_id}")
async def chat(websocket: WebSocket, client_id: int) -> None:
    await room.join(websocket, client_id)
    try:
        async for data in websocket.iter_text():
            await websocket.send_text(f"You wrote: {data}")
            await room.say(f"Client #{client_id} says: {data}")
    finally:
        room.leave(websocket)
    await room.say(f"Client #{client_id} left the chat")


app = FastAPI()
app.include_router(router)

if __name__ == "__main__":
    import uvicorn
    uvicorn.run("main:app", reload=True)
