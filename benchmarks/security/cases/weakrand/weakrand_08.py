"""Password reset token from the system random generator."""

import random
import string

from flask import Flask, request

app = Flask(__name__)
ALPHABET = string.ascii_letters + string.digits
SYSTEM_RANDOM = random.SystemRandom()


@app.route("/password/reset-token/v2", methods=["POST"])
def reset_token():
    token = "".join(SYSTEM_RANDOM.choice(ALPHABET) for _ in range(32))
    return {"email": request.form["email"], "link": f"/password/reset?token={token}"}
