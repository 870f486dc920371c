"""Store an uploaded avatar."""

import os

from flask import Flask, request
from werkzeug.utils import secure_filename

app = Flask(__name__)
AVATARS = "/srv/app/avatars"


@app.route("/avatar", methods=["POST"])
def upload_avatar():
    upload = request.files["avatar"]
    filename = secure_filename(upload.filename or "")
    if not filename:
        return {"error": "bad filename"}, 400
    upload.save(os.path.join(AVATARS, filename))
    return {"stored": filename}
