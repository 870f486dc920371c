"""Profile page rendered through a Jinja template."""

from flask import Flask, render_template, request

app = Flask(__name__)


@app.route("/profile")
def profile():
    display_name = request.args.get("display_name", "")
    return render_template("profile.html", display_name=display_name)
