"""Record the client's user agent in a flat file for later analysis."""

import subprocess

from flask import Flask, request

app = Flask(__name__)


@app.route("/track")
def track():
    agent = request.headers.get("User-Agent", "unknown")
    subprocess.Popen(["/bin/sh", "-c", "echo " + agent + " >> /var/log/agents.txt"])
    return "", 204
