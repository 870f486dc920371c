"""Download an uploaded attachment by name, confined to the upload directory."""

import os

from flask import Flask, Response, abort, request

app = Flask(__name__)
UPLOAD_DIR = "/srv/app/uploads"


@app.route("/attachments/safe")
def attachment():
    name = os.path.basename(request.args.get("name", ""))
    path = os.path.realpath(os.path.join(UPLOAD_DIR, name))
    if not path.startswith(UPLOAD_DIR + os.sep):
        abort(404)
    with open(path, "rb") as handle:
        data = handle.read()
    return Response(data, mimetype="application/octet-stream")
