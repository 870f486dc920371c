"""Password reset token."""

import random
import string

from flask import Flask, request

app = Flask(__name__)
ALPHABET = string.ascii_letters + string.digits


@app.route("/password/reset-token", methods=["POST"])
def reset_token():
    token = ""
    for _ in range(32):
        token += random.choice(ALPHABET)
    return {"email": request.form["email"], "link": f"/password/reset?token={token}"}
