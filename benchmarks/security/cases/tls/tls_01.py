"""Fetch exchange rates from the provider."""

import requests
from flask import Flask

app = Flask(__name__)


@app.route("/fx")
def fx_rates():
    resp = requests.get("https://rates.provider.example/latest", timeout=5, verify=False)
    return resp.json()
