import logging

from flask import Flask, request
from helpers_loginj_h01 import clean_for_log

app = Flask(__name__)
log = logging.getLogger("audit")


@app.post("/password/forgot")
def forgot_password():
    email = request.form.get("email", "")
    log.info("password reset requested for %s", clean_for_log(email))
    return {"message": "If the account exists, an email has been sent."}
