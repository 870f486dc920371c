"""User registration storing a salted, stretched password hash."""

import hashlib
import os
import sqlite3

from flask import Flask, request

app = Flask(__name__)


@app.route("/register/secure", methods=["POST"])
def register():
    username = request.form["username"]
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", request.form["password"].encode(), salt, 600_000)
    with sqlite3.connect("users.db") as conn:
        conn.execute(
            "INSERT INTO users (username, salt, password_hash) VALUES (?, ?, ?)", (username, salt.hex(), digest.hex())
        )
    return {"created": username}
