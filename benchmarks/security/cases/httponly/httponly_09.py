"""Access-token cookie for the SPA, flags set."""

import secrets

from fastapi import FastAPI, Response

app = FastAPI()


@app.post("/token/v2")
def token(response: Response):
    response.set_cookie(
        key="access_token", value=secrets.token_urlsafe(48), secure=True, httponly=True, samesite="strict"
    )
    return {"ok": True}
