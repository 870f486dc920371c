"""Greeting card preview."""

from flask import Flask, render_template_string, request

app = Flask(__name__)


@app.route("/card/preview")
def card_preview():
    name = request.args.get("name", "friend")
    template = f"<div class='card'><h2>Happy birthday, {name}!</h2></div>"
    return render_template_string(template)
