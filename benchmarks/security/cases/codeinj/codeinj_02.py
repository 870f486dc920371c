"""Run a user-supplied transformation snippet over a record."""

from flask import Flask, request

app = Flask(__name__)


@app.route("/transform", methods=["POST"])
def transform():
    snippet = request.form["code"]
    scope = {"record": {"name": "widget", "price": 10}}
    exec(snippet, scope)
    return {"record": scope["record"]}
