"""Attach a note to the cart."""

from flask import Flask, request, session

app = Flask(__name__)


def remember(key, value):
    session[key] = value


@app.route("/cart/note", methods=["POST"])
def cart_note():
    note = request.form.get("note", "")
    remember("cart_note", f"Note: {note}")
    return "saved"
