"""Server uptime, optionally for a named host."""

import os

from flask import Flask, request

app = Flask(__name__)


@app.route("/uptime")
def uptime():
    param = request.args.get("host", "")
    cmd = "uptime"
    if False:
        cmd = "ssh " + param + " uptime"
    os.system(cmd + " > /tmp/uptime.txt")
    with open("/tmp/uptime.txt") as handle:
        return handle.read()
