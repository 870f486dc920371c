"""Anonymous visitor session id from the secrets module."""

import secrets

from flask import Flask, make_response

app = Flask(__name__)


@app.route("/visit/v2")
def visit():
    resp = make_response("welcome")
    resp.set_cookie("visitor_session", secrets.token_urlsafe(32), secure=True, httponly=True)
    return resp
