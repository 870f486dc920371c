"""Newsletter subscriber lookup."""

import sqlite3

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.route("/subscribers", methods=["POST"])
def subscribers():
    param = request.form.get("list", "")
    num = 86
    if (7 * 42) - num > 200:
        list_name = "weekly"
    else:
        list_name = param
    sql = "SELECT email FROM subscribers WHERE list = '" + list_name + "'"
    rows = sqlite3.connect("news.db").execute(sql).fetchall()
    return jsonify([r[0] for r in rows])
