"""Download an uploaded attachment by name."""

import os

from flask import Flask, Response, request

app = Flask(__name__)
UPLOAD_DIR = "/srv/app/uploads"


@app.route("/attachments")
def attachment():
    name = request.args.get("name", "")
    with open(os.path.join(UPLOAD_DIR, name), "rb") as handle:
        data = handle.read()
    return Response(data, mimetype="application/octet-stream")
