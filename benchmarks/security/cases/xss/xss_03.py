"""Profile badge preview with the user's bio."""

from flask import Flask, render_template, request
from markupsafe import Markup

app = Flask(__name__)


@app.route("/badge/preview", methods=["POST"])
def badge():
    bio = request.form.get("bio", "")
    snippet = Markup(f"<span class='bio'>{bio}</span>")
    return render_template("badge.html", snippet=snippet)
