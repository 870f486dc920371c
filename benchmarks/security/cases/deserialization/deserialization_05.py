"""Restore a saved game state."""

import jsonpickle
from fastapi import FastAPI, Request

app = FastAPI()


@app.post("/games/restore")
async def restore_game(request: Request):
    state = jsonpickle.decode((await request.body()).decode())
    return {"level": getattr(state, "level", 0)}
