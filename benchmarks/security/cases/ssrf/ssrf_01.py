"""Link preview: fetch a page and return its title."""

import re

import requests
from flask import Flask, request

app = Flask(__name__)


@app.route("/preview")
def preview():
    url = request.args.get("url", "")
    page = requests.get(url, timeout=5)
    match = re.search(r"<title>(.*?)</title>", page.text, re.S)
    return {"title": match.group(1).strip() if match else None}
