"""Send an alert e-mail through the company relay."""

import smtplib
from email.message import EmailMessage

from flask import Flask, request

app = Flask(__name__)


@app.route("/alerts", methods=["POST"])
def send_alert():
    message = EmailMessage()
    message["From"] = "alerts@example.com"
    message["To"] = "oncall@example.com"
    message["Subject"] = "Alert"
    message.set_content(request.form.get("text", "")[:1000])
    with smtplib.SMTP("smtp.example.com", 587, timeout=10) as smtp:
        smtp.starttls()
        smtp.login("alerts@example.com", "Xq9!relay-Passw0rd")
        smtp.send_message(message)
    return {"sent": True}
