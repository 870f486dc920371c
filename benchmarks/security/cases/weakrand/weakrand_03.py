"""Anonymous visitor session id."""

import random

from flask import Flask, make_response

app = Flask(__name__)


@app.route("/visit")
def visit():
    session_id = str(random.random())[2:]
    resp = make_response("welcome")
    resp.set_cookie("visitor_session", session_id, secure=True, httponly=True)
    return resp
