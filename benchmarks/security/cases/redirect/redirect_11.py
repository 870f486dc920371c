"""Return to the page the user came from, feature not enabled."""

from flask import Flask, redirect, request

app = Flask(__name__)


@app.route("/back")
def back():
    param = request.args.get("next", "")
    target = "/"
    if False:
        target = param
    return redirect(target)
