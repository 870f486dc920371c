"""Read a log file, with the path normalised first."""

import os

from flask import Flask, Response, request

app = Flask(__name__)
LOG_DIR = "/var/log/app"


@app.route("/logs/view")
def view_log():
    name = request.args.get("file", "app.log")
    path = os.path.normpath(os.path.join(LOG_DIR, name))
    with open(path) as handle:
        return Response(handle.read(), mimetype="text/plain")
