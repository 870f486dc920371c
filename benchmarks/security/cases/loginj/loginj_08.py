"""Search endpoint that logs the query in repr form."""

import logging

from flask import Flask, request

app = Flask(__name__)
logger = logging.getLogger("search")


@app.route("/search/repr")
def search():
    q = request.args.get("q", "")
    logger.info("search query: %r", q)
    return {"results": []}
