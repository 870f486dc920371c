"""Remember-me cookie readable by the front end."""

import secrets

from flask import Flask, make_response

app = Flask(__name__)


@app.route("/remember/me", methods=["POST"])
def remember_me():
    resp = make_response("remembered")
    resp.set_cookie("remember_token", secrets.token_hex(32), max_age=30 * 86400, secure=True, httponly=False)
    return resp
