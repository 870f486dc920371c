import sqlite3

from flask import Flask, jsonify, request

app = Flask(__name__)

SORT_COLUMNS = {"name": "last_name", "joined": "created_at", "email": "email"}


@app.post("/members/search")
def member_search():
    body = request.get_json(force=True) or {}
    column = SORT_COLUMNS.get(body.get("sort"), "last_name")
    direction = "DESC" if body.get("desc") else "ASC"
    sql = "SELECT id, email FROM members WHERE team = ? ORDER BY %s %s" % (column, direction)
    with sqlite3.connect("members.db") as conn:
        rows = conn.execute(sql, (body.get("team", ""),)).fetchall()
    return jsonify(rows)
