"""Refresh-token cookie for the SPA, secure flags set."""

import secrets

from fastapi import FastAPI, Response

app = FastAPI()


@app.post("/token/refresh/v2")
def refresh(response: Response):
    response.set_cookie(
        key="refresh_token", value=secrets.token_urlsafe(48), secure=True, httponly=True, samesite="strict"
    )
    return {"ok": True}
