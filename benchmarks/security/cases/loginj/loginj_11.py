"""Feature flag endpoint."""

import logging

from flask import Flask, request

app = Flask(__name__)
logger = logging.getLogger(__name__)


@app.route("/flags")
def flags():
    param = request.cookies.get("flag", "")
    entry = {"keyA": param, "keyB": "beta-dashboard"}
    flag = entry["keyB"]
    logger.info("serving flag %s", flag)
    return {"flag": flag}
