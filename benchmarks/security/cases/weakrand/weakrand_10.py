"""Issue an API key from the operating system's random source."""

import os

from fastapi import FastAPI

app = FastAPI()


@app.post("/keys/v2")
def create_key():
    return {"api_key": os.urandom(16).hex()}
