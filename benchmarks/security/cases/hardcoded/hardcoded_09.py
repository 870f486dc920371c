"""Token endpoint of the OAuth password grant."""

from flask import Flask, abort, request

app = Flask(__name__)
PASSWORD_FIELD = "password"
TOKEN_TYPE = "Bearer"
GRANT_TYPE_PASSWORD = "password"


@app.route("/oauth/token", methods=["POST"])
def token():
    if request.form.get("grant_type") != GRANT_TYPE_PASSWORD:
        abort(400)
    if not request.form.get(PASSWORD_FIELD):
        abort(400)
    return {"token_type": TOKEN_TYPE, "expires_in": 3600}
