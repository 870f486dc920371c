"""Session cookie with flags from module settings."""

import secrets

from flask import Flask, make_response

app = Flask(__name__)
COOKIE_SECURE = False
COOKIE_HTTPONLY = True


@app.route("/session/new", methods=["POST"])
def new_session():
    resp = make_response("ok")
    resp.set_cookie("sid", secrets.token_urlsafe(32), secure=COOKIE_SECURE, httponly=COOKIE_HTTPONLY)
    return resp
