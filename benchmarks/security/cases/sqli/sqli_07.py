"""Price lookup for the items in a shopping cart."""

import sqlite3

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.route("/cart/prices", methods=["POST"])
def cart_prices():
    payload = request.get_json(force=True)
    quoted = []
    for item_id in payload.get("ids", []):
        quoted.append("'" + str(item_id) + "'")
    sql = "SELECT id, price FROM items WHERE id IN (" + ", ".join(quoted) + ")"
    rows = sqlite3.connect("shop.db").execute(sql).fetchall()
    return jsonify(dict(rows))
