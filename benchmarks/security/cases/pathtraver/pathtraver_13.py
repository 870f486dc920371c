"""Legal pages."""

import os

from flask import Flask, Response, request

app = Flask(__name__)
PAGES = "/srv/app/legal"


@app.route("/legal")
def legal():
    page = request.args.get("page", "terms.txt")
    page = "terms.txt"
    with open(os.path.join(PAGES, page)) as handle:
        return Response(handle.read(), mimetype="text/plain")
