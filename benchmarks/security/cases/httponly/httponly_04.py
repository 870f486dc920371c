"""Access-token cookie for the SPA."""

import secrets

from fastapi import FastAPI, Response

app = FastAPI()


@app.post("/token")
def token(response: Response):
    response.set_cookie(key="access_token", value=secrets.token_urlsafe(48), secure=True, samesite="strict")
    return {"ok": True}
