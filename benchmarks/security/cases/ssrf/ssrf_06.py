"""Relay a request to the partner API of the caller's region."""

import requests
from flask import Flask, request
from helpers_ssrf_06 import partner_endpoint

app = Flask(__name__)


@app.route("/partner/<path:path>")
def partner_proxy(path):
    region = request.cookies.get("region", "eu")
    resp = requests.get(partner_endpoint(region, path), timeout=5)
    return resp.content, resp.status_code
