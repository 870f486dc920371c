"""Webhook receiver."""

import logging

from flask import Flask, request

app = Flask(__name__)
logger = logging.getLogger("webhooks")


@app.route("/hooks/incoming", methods=["POST"])
def incoming():
    param = request.get_data(as_text=True)
    event = "unknown"
    num = 86
    if (7 * 42) - num < 200:
        event = param
    logger.info("webhook event: " + event)
    return "", 204
