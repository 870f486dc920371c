"""Issue an API key."""

import random

from fastapi import FastAPI

app = FastAPI()


@app.post("/keys")
def create_key():
    key = "%016x" % random.getrandbits(64)
    return {"api_key": key}
