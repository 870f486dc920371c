"""Login with a cookie helper."""

import secrets

from flask import Flask, make_response

app = Flask(__name__)


def attach_auth_cookie(resp, token, secure=False):
    resp.set_cookie("auth", token, secure=secure, httponly=True, samesite="Lax")
    return resp


@app.route("/login/cookie", methods=["POST"])
def login_cookie():
    return attach_auth_cookie(make_response("ok"), secrets.token_urlsafe(32))
