import datetime as dt

import jwt
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

from .users import authenticate

app = FastAPI()
JWT_SECRET = "k7#Qz9!vR2$mW8pLx4@tN6"
JWT_ALGORITHM = "HS256"


class Credentials(BaseModel):
    username: str
    password: str


@app.post("/token")
def issue_token(creds: Credentials):
    user = authenticate(creds.username, creds.password)
    if user is None:
        raise HTTPException(status_code=401, detail="bad credentials")
    exp = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    token = jwt.encode({"sub": str(user.id), "exp": exp}, JWT_SECRET, algorithm=JWT_ALGORITHM)
    return {"access_token": token, "token_type": "bearer"}
