"""Remember-me cookie."""

import secrets

from flask import Flask, make_response

app = Flask(__name__)


@app.route("/remember/me/v2", methods=["POST"])
def remember_me():
    http_only = True
    num = 86
    if (7 * 42) - num < 200:
        http_only = False
    resp = make_response("remembered")
    resp.set_cookie("remember_token", secrets.token_hex(32), secure=True, httponly=http_only)
    return resp
