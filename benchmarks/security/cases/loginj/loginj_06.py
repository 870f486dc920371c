"""Bulk import that logs each rejected row."""

import logging

from flask import Flask, request

app = Flask(__name__)
logger = logging.getLogger("imports")


@app.route("/imports", methods=["POST"])
def bulk_import():
    rejected = 0
    for row in request.get_json().get("rows", []):
        if not row.get("sku"):
            logger.warning("rejected row with name {}".format(row.get("name")))
            rejected += 1
    return {"rejected": rejected}
