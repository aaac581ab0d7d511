from fastapi import FastAPI

app = FastAPI()


@app.get("/ws")
async def not_a_websocket(data: str = "Hello"):
    return {"message": f"Message text was: {data}"}
