"""Check the mail relay over SMTPS."""

import smtplib
import ssl

from flask import Flask

app = Flask(__name__)


@app.route("/mail/check")
def mail_check():
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with smtplib.SMTP_SSL("smtp.mail.example", 465, context=context, timeout=5) as smtp:
        smtp.login("noreply", open("/run/secrets/smtp_password").read().strip())
        code, _ = smtp.noop()
    return {"smtp": code}
