"""Integrity digest of a download."""

import hashlib

from flask import Flask

app = Flask(__name__)


@app.route("/downloads/checksum")
def checksum():
    with open("/srv/downloads/app.tar.gz", "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    return {"file": "app.tar.gz", "sha256": digest}
