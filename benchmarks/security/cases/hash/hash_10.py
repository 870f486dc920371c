"""Sign a download link with a strong digest."""

import hashlib
import os

from flask import Flask, request

app = Flask(__name__)
LINK_SECRET = os.environ["LINK_SECRET"]


@app.route("/links/sign/v2")
def sign_link():
    path = request.args.get("path", "/")
    signature = hashlib.new("sha256", (LINK_SECRET + path).encode()).hexdigest()
    return {"url": f"{path}?sig={signature}"}
