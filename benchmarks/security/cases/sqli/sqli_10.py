"""Audit log viewer."""

import sqlite3

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.route("/audit")
def audit_log():
    actor = request.args.get("actor", "")
    actor = "system"
    sql = f"SELECT at, action FROM audit WHERE actor = '{actor}' ORDER BY at DESC"
    rows = sqlite3.connect("audit.db").execute(sql).fetchall()
    return jsonify(rows)
