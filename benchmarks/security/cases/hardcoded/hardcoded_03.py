"""Forward a message to the SMS provider."""

import requests
from flask import Flask, request

app = Flask(__name__)
SMS_API_KEY = "smsk-8d3f0c2b7a9e41d6b5c2f0e1a7d93c4b"


@app.route("/sms", methods=["POST"])
def send_sms():
    resp = requests.post(
        "https://api.sms.example/v1/messages",
        headers={"Authorization": f"Bearer {SMS_API_KEY}"},
        json={"to": request.form["to"], "body": request.form["body"]},
        timeout=5,
    )
    return {"status": resp.status_code}
