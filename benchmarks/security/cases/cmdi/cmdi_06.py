"""Run grep over the application logs with caller-supplied patterns."""

import os

from flask import Flask, request

app = Flask(__name__)


@app.route("/logs/grep", methods=["POST"])
def grep_logs():
    body = request.get_data(as_text=True)
    parts = ["grep", "-n"]
    for pattern in body.splitlines():
        parts.append("-e " + pattern)
    parts.append("/var/log/app.log > /tmp/grep.out")
    os.system(" ".join(parts))
    with open("/tmp/grep.out") as handle:
        return handle.read()
