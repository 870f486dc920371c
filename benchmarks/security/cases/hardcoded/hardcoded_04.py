"""Issue a signed access token."""

import datetime

import jwt
from fastapi import FastAPI

app = FastAPI()


@app.post("/tokens/{user_id}")
def issue_token(user_id: int):
    claims = {"sub": str(user_id), "exp": datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1)}
    return {"token": jwt.encode(claims, "jwt-signing-secret-do-not-share", algorithm="HS256")}
