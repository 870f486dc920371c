"""Parse a Python literal sent by the client (lists, numbers, strings)."""

import ast

from flask import Flask, abort, request

app = Flask(__name__)


@app.route("/parse")
def parse_literal():
    text = request.args.get("value", "None")
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        abort(400)
    return {"type": type(value).__name__}
