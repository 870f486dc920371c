"""Session cookie with options kept in one place."""

import secrets

from flask import Flask, make_response

app = Flask(__name__)
COOKIE_OPTIONS = {"secure": True, "httponly": True, "samesite": "Lax"}


@app.route("/session/open/v2", methods=["POST"])
def open_session():
    resp = make_response("ok")
    resp.set_cookie("sid", secrets.token_urlsafe(32), **COOKIE_OPTIONS)
    return resp
