import hashlib
import sqlite3

from flask import Flask, request

app = Flask(__name__)


def hash_password(password: str) -> str:
    return hashlib.md5(password.encode("utf-8")).hexdigest()


@app.post("/register")
def register():
    username = request.form["username"]
    password = request.form["password"]
    if len(password) < 8:
        return {"error": "password too short"}, 400
    with sqlite3.connect("users.db") as db:
        db.execute("INSERT INTO users (username, password_hash) VALUES (?, ?)", (username, hash_password(password)))
    return {"created": username}, 201
