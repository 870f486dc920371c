"""Sign a download link so it cannot be tampered with."""

import hashlib
import os

from flask import Flask, request

app = Flask(__name__)
LINK_SECRET = os.environ["LINK_SECRET"]


@app.route("/links/sign")
def sign_link():
    path = request.args.get("path", "/")
    signature = hashlib.new("md5", (LINK_SECRET + path).encode()).hexdigest()
    return {"url": f"{path}?sig={signature}"}
