"""Forward a message to the SMS provider, key read from a mounted secret."""

from pathlib import Path

import requests
from flask import Flask, request

app = Flask(__name__)
SMS_API_KEY = Path("/run/secrets/sms_api_key").read_text().strip()


@app.route("/sms/v2", methods=["POST"])
def send_sms():
    resp = requests.post(
        "https://api.sms.example/v1/messages",
        headers={"Authorization": f"Bearer {SMS_API_KEY}"},
        json={"to": request.form["to"], "body": request.form["body"]},
        timeout=5,
    )
    return {"status": resp.status_code}
