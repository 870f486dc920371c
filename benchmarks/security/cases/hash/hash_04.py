"""Integrity digest of uploaded firmware images."""

import hashlib

from flask import Flask, request

app = Flask(__name__)
DIGEST_ALGORITHM = "sha1"


@app.route("/firmware", methods=["POST"])
def upload_firmware():
    image = request.files["image"].read()
    digest = hashlib.new(DIGEST_ALGORITHM, image).hexdigest()
    return {"size": len(image), "digest": digest}
