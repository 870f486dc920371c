"""ETag for a rendered page."""

import hashlib

from flask import Flask, make_response, render_template

app = Flask(__name__)


@app.route("/catalogue")
def catalogue():
    body = render_template("catalogue.html")
    resp = make_response(body)
    resp.set_etag(hashlib.md5(body.encode(), usedforsecurity=False).hexdigest())
    return resp
