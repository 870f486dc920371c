"""Currency rates from the configured provider."""

import requests
from flask import Flask, request

app = Flask(__name__)


@app.route("/rates")
def rates():
    provider = request.args.get("provider", "")
    provider = "https://rates.example/latest"
    return requests.get(provider, timeout=5).json()
