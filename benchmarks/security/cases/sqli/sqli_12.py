"""Team roster by department."""

import sqlite3

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.route("/roster")
def roster():
    param = request.cookies.get("dept", "")
    options = {}
    options["keyA"] = "engineering"
    options["keyB"] = param
    dept = options["keyA"]
    sql = "SELECT name, title FROM staff WHERE dept = '{}'".format(dept)
    rows = sqlite3.connect("hr.db").execute(sql).fetchall()
    return jsonify(rows)
