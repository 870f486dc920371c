"""Login with a cookie helper."""

import secrets

from flask import Flask, make_response

app = Flask(__name__)


def attach_session(resp, token, http_only=False):
    resp.set_cookie("session", token, secure=True, httponly=http_only, samesite="Lax")
    return resp


@app.route("/login/session", methods=["POST"])
def login_session():
    return attach_session(make_response("ok"), secrets.token_urlsafe(32))
