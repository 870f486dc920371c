"""Issue a signed access token with the key from settings."""

import datetime
import os

import jwt
from fastapi import FastAPI

app = FastAPI()
JWT_SECRET = os.getenv("JWT_SECRET")


@app.post("/tokens/v2/{user_id}")
def issue_token(user_id: int):
    if not JWT_SECRET:
        raise RuntimeError("JWT_SECRET is not set")
    claims = {"sub": str(user_id), "exp": datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1)}
    return {"token": jwt.encode(claims, JWT_SECRET, algorithm="HS256")}
