"""Accept a settings object from the client."""

import json

from flask import Flask, abort, request

app = Flask(__name__)


@app.route("/settings", methods=["POST"])
def settings():
    raw = request.form.get("settings", "{}")
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError:
        abort(400)
    return {"keys": sorted(parsed)}
