"""Fingerprint of an API key."""

import hashlib

from flask import Flask, request

app = Flask(__name__)


@app.route("/api-keys/fingerprint", methods=["POST"])
def fingerprint():
    key = request.form.get("key", "").encode()
    hasher = hashlib.sha256()
    if False:
        hasher = hashlib.md5()
    hasher.update(key)
    return {"fingerprint": hasher.hexdigest()[:16]}
