"""Echo API for the client-side search box."""

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.route("/api/echo")
def echo():
    term = request.args.get("term", "")
    return jsonify({"term": term, "suggestions": []})
