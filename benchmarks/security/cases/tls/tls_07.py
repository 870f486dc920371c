"""Fetch exchange rates from the provider, certificates verified."""

import requests
from flask import Flask

app = Flask(__name__)


@app.route("/fx/v2")
def fx_rates():
    resp = requests.get("https://rates.provider.example/latest", timeout=5, verify=True)
    return resp.json()
