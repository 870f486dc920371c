"""Echo a request id, or mint a new one if the client's is malformed."""

import re
import uuid

from flask import Flask, make_response, request

app = Flask(__name__)
REQUEST_ID = re.compile(r"[A-Za-z0-9-]{1,64}")


@app.route("/ping")
def ping():
    request_id = request.headers.get("X-Request-Id", "")
    if not REQUEST_ID.fullmatch(request_id):
        request_id = str(uuid.uuid4())
    resp = make_response("pong")
    resp.headers["X-Request-Id"] = request_id
    return resp
