"""Password login for the mobile app, checked against the stored digest."""

import hashlib
import hmac
import sqlite3

from flask import Flask, abort, request

app = Flask(__name__)


@app.route("/mobile/login", methods=["POST"])
def mobile_login():
    body = request.get_json()
    with sqlite3.connect("users.db") as conn:
        row = conn.execute("SELECT password_md5 FROM users WHERE username = ?", (body["username"],)).fetchone()
    candidate = hashlib.md5(body["password"].encode()).hexdigest()
    if row is None or not hmac.compare_digest(row[0], candidate):
        abort(401)
    return {"ok": True}
