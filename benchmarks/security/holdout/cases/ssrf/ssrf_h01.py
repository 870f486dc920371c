import re

import requests
from flask import Flask, jsonify, request

app = Flask(__name__)
TITLE_RE = re.compile(r"<title>(.*?)</title>", re.I | re.S)


def fetch_preview(link):
    resp = requests.get(link, timeout=5, allow_redirects=True)
    match = TITLE_RE.search(resp.text)
    return {"url": resp.url, "status": resp.status_code, "title": match.group(1).strip() if match else None}


@app.route("/api/link-preview")
def link_preview():
    link = request.args.get("url")
    if not link:
        return jsonify(error="url is required"), 400
    return jsonify(fetch_preview(link))
