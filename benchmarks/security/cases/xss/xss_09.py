"""Welcome page with escaped output."""

import html

from flask import Flask, request

app = Flask(__name__)


@app.route("/welcome/safe")
def welcome():
    name = request.args.get("name", "guest")
    return f"<html><body><h1>Welcome, {html.escape(name)}!</h1></body></html>"
