"""Bundle several templates into one response."""

import os

from flask import Flask, jsonify, request

app = Flask(__name__)
TEMPLATE_DIR = "/srv/app/snippets"


@app.route("/snippets/bundle", methods=["POST"])
def bundle():
    names = request.get_json().get("names", [])
    bundle = {}
    for name in names:
        with open(os.path.join(TEMPLATE_DIR, name)) as handle:
            bundle[name] = handle.read()
    return jsonify(bundle)
