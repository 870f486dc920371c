"""Remember the referral code (not yet enabled)."""

from flask import Flask, request, session

app = Flask(__name__)


@app.route("/referral")
def referral():
    param = request.args.get("code", "")
    code = "none"
    if False:
        code = param
    session["referral"] = code
    return "ok"
