"""One-time login code sent by SMS, from the secrets module."""

import secrets

from flask import Flask, request

app = Flask(__name__)
PENDING_CODES = {}  # phone number -> code; a shared cache in production


@app.route("/otp/send/v2", methods=["POST"])
def send_otp():
    code = secrets.randbelow(900000) + 100000
    PENDING_CODES[request.form["phone"]] = code
    return {"sent": True}
