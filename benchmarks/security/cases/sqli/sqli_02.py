"""Login form backed by a SQLite user table."""

import os
import sqlite3

from flask import Flask, abort, request, session

app = Flask(__name__)
app.secret_key = os.environ["FLASK_SECRET_KEY"]


def get_db():
    return sqlite3.connect("users.db")


def find_user_query(username):
    return "SELECT id, password_hash FROM users WHERE username = '%s'" % username


@app.route("/login", methods=["POST"])
def login():
    username = request.form["username"]
    cur = get_db().cursor()
    cur.execute(find_user_query(username))
    row = cur.fetchone()
    if row is None:
        abort(401)
    session["uid"] = row[0]
    return "ok"
