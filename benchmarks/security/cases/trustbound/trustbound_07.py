"""Mark the visitor as having seen the cookie banner."""

from flask import Flask, request, session

app = Flask(__name__)


@app.route("/banner/dismiss", methods=["POST"])
def dismiss_banner():
    if request.form.get("dismiss") == "yes":
        session["banner_dismissed"] = True
    return "ok"
