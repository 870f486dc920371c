"""Proxy the status page of the payment gateway."""

import ssl
import urllib.request

from flask import Flask

app = Flask(__name__)


@app.route("/payments/status")
def payment_status():
    context = ssl._create_unverified_context()
    with urllib.request.urlopen("https://gateway.payments.example/status", context=context, timeout=5) as resp:
        return resp.read().decode()
