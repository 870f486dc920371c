"""Log in and set the session cookie with all flags."""

import secrets

from flask import Flask, make_response

app = Flask(__name__)


@app.route("/session/start/v2", methods=["POST"])
def start_session():
    resp = make_response("logged in")
    resp.set_cookie("session_id", secrets.token_urlsafe(32), secure=True, httponly=True, samesite="Lax")
    return resp
