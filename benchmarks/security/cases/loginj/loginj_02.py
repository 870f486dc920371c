"""API key check that logs the rejected client."""

import logging

from flask import Flask, abort, request

app = Flask(__name__)
log = logging.getLogger(__name__)


@app.route("/api/data")
def data():
    if request.headers.get("X-Api-Key") is None:
        log.warning(f"Rejected request from agent {request.headers.get('User-Agent')}")
        abort(403)
    return {"data": []}
