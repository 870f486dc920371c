"""One-time login code sent by SMS."""

import random

from flask import Flask, request

app = Flask(__name__)
PENDING_CODES = {}  # phone number -> code; a shared cache in production


@app.route("/otp/send", methods=["POST"])
def send_otp():
    code = random.randint(100000, 999999)
    PENDING_CODES[request.form["phone"]] = code
    return {"sent": True}
