"""Proxy the status page of the payment gateway with a verifying context."""

import ssl
import urllib.request

from flask import Flask

app = Flask(__name__)


@app.route("/payments/status/v2")
def payment_status():
    context = ssl.create_default_context(cafile="/etc/ssl/certs/ca-certificates.crt")
    with urllib.request.urlopen("https://gateway.payments.example/status", context=context, timeout=5) as resp:
        return resp.read().decode()
