"""Greeting card preview rendered from a fixed template."""

from flask import Flask, render_template_string, request

app = Flask(__name__)

CARD = "<div class='card'><h2>Happy birthday, {{ name }}!</h2></div>"


@app.route("/card/render")
def card_render():
    name = request.args.get("name", "friend")
    return render_template_string(CARD, name=name)
