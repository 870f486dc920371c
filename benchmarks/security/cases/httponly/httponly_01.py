"""Log in and set the session cookie."""

import secrets

from flask import Flask, make_response

app = Flask(__name__)


@app.route("/session/begin", methods=["POST"])
def begin_session():
    resp = make_response("logged in")
    resp.set_cookie("session_id", secrets.token_urlsafe(32), secure=True, samesite="Lax")
    return resp
