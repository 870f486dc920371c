"""Return to the page the user came from after logging in."""

from flask import Flask, redirect, request, session

app = Flask(__name__)


@app.route("/login/done")
def login_done():
    session["logged_in"] = True
    target = request.args.get("next", "/")
    return redirect(target)
