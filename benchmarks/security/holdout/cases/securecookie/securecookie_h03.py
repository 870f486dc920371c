import secrets

from fastapi import FastAPI, Response

app = FastAPI()

COOKIE_OPTIONS = {
    "httponly": True,
    "secure": True,
    "samesite": "lax",
    "max_age": 60 * 60 * 24 * 14,
    "path": "/",
}


@app.post("/remember-device")
def remember_device(response: Response, device_name: str = "browser"):
    device_token = secrets.token_urlsafe(24)
    response.set_cookie(key="device_token", value=device_token, **COOKIE_OPTIONS)
    return {"device": device_name[:40]}
