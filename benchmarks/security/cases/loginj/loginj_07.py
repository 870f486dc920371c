"""Login endpoint that records failed attempts, with line breaks removed."""

from flask import Flask, abort, request
from werkzeug.security import check_password_hash

app = Flask(__name__)
USERS = {}  # user name -> password hash, filled from the database at start-up


def single_line(value):
    return value.replace("\r", "").replace("\n", "")


@app.route("/login/audited", methods=["POST"])
def login():
    username = single_line(request.form.get("username", ""))
    password = request.form.get("password", "")
    stored = USERS.get(username)
    if stored is None or not check_password_hash(stored, password):
        app.logger.warning("Login failed for user %s" % username)
        abort(401)
    return "ok"
