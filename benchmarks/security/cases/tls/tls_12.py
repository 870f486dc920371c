"""Webhook delivery with verification setting from a constant."""

import requests
from flask import Flask, request

app = Flask(__name__)
VERIFY_TLS = {"production": True, "local": False}


@app.route("/webhooks/deliver", methods=["POST"])
def deliver():
    payload = request.get_json()
    resp = requests.post(
        "https://hooks.partner.example/events", json=payload, timeout=5, verify=VERIFY_TLS["production"]
    )
    return {"status": resp.status_code}
