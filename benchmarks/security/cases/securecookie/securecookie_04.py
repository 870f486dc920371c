"""Refresh-token cookie for the SPA."""

import secrets

from fastapi import FastAPI, Response

app = FastAPI()


@app.post("/token/refresh")
def refresh(response: Response):
    response.set_cookie(key="refresh_token", value=secrets.token_urlsafe(48), httponly=True, samesite="strict")
    return {"ok": True}
