"""Sign-up flow that forwards the new user to a landing page."""

from flask import Flask, redirect, request

app = Flask(__name__)


def landing_url(target):
    return f"{target}?welcome=1"


@app.route("/signup", methods=["POST"])
def signup():
    landing = request.form.get("landing", "/home")
    return redirect(landing_url(landing), code=303)
