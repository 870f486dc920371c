"""Search endpoint with query logging."""

import logging

from flask import Flask, request

app = Flask(__name__)
logger = logging.getLogger("search")


@app.route("/search")
def search():
    q = request.args.get("q", "")
    logger.info("search query: %s", q)
    return {"results": []}
