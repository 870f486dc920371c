import secrets

from flask import Flask, make_response, request

from .auth import authenticate, store_session

app = Flask(__name__)


@app.post("/login")
def login():
    user = authenticate(request.form.get("username", ""), request.form.get("password", ""))
    if user is None:
        return {"error": "invalid credentials"}, 401
    token = secrets.token_urlsafe(32)
    store_session(token, user.id)
    resp = make_response({"user": user.id})
    resp.set_cookie("session_token", token, httponly=True, samesite="Lax", max_age=8 * 3600)
    return resp
