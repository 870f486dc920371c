"""Pagination with logging of the requested page."""

import logging

from flask import Flask, abort, request

app = Flask(__name__)
logger = logging.getLogger(__name__)


@app.route("/items")
def items():
    try:
        page = int(request.args.get("page", "1"))
    except ValueError:
        abort(400)
    logger.info(f"listing page {page}")
    return {"page": page, "items": []}
