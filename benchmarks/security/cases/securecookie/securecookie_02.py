"""Remember-me cookie."""

import secrets

from flask import Flask, make_response

app = Flask(__name__)


@app.route("/remember", methods=["POST"])
def remember_me():
    resp = make_response("remembered")
    resp.set_cookie("remember_token", secrets.token_hex(32), max_age=30 * 86400, secure=False, httponly=True)
    return resp
