"""Integrity digest of uploaded firmware images, current algorithm."""

import hashlib

from flask import Flask, request

app = Flask(__name__)
ALGORITHMS = {"legacy": "md5", "current": "sha256"}


@app.route("/firmware/v2", methods=["POST"])
def upload_firmware():
    image = request.files["image"].read()
    digest = hashlib.new(ALGORITHMS["current"], image).hexdigest()
    return {"size": len(image), "digest": digest}
