"""Greeting with a fallback name."""

from flask import Flask, request

app = Flask(__name__)


@app.route("/greet")
def greet():
    param = request.args.get("name", "")
    num = 106
    name = "guest" if (7 * 18) - num > 200 else "friend"
    if not name:
        name = param
    return "<p>Hello " + name + "</p>"
