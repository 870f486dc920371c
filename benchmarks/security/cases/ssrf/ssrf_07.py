"""Fetch an RSS feed; only https feeds are accepted."""

import requests
from flask import Flask, abort, request

app = Flask(__name__)


@app.route("/feeds/fetch", methods=["POST"])
def fetch_feed():
    feed_url = request.get_json().get("url", "")
    if not feed_url.startswith("https://"):
        abort(400)
    resp = requests.get(feed_url, timeout=5)
    return resp.text, 200, {"Content-Type": "application/rss+xml"}
