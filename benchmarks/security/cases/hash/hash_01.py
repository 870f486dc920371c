"""User registration storing a password digest."""

import hashlib
import sqlite3

from flask import Flask, request

app = Flask(__name__)


@app.route("/register", methods=["POST"])
def register():
    username = request.form["username"]
    digest = hashlib.md5(request.form["password"].encode()).hexdigest()
    with sqlite3.connect("users.db") as conn:
        conn.execute("INSERT INTO users (username, password_md5) VALUES (?, ?)", (username, digest))
    return {"created": username}
