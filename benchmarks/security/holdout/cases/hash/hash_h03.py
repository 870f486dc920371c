import hashlib
import os

from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()
USERS: dict[str, tuple[bytes, str]] = {}


class SignUp(BaseModel):
    email: str
    password: str


def digest(password: str, salt: bytes) -> str:
    h = hashlib.new("sha1")
    h.update(salt + password.encode())
    return h.hexdigest()


@app.post("/signup", status_code=201)
def signup(body: SignUp):
    salt = os.urandom(8)
    USERS[body.email] = (salt, digest(body.password, salt))
    return {"email": body.email}
