"""Stock levels for the warehouse named in a request header."""

import sqlite3

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.route("/inventory")
def inventory():
    filters = {
        "status": "active",
        "warehouse": request.headers.get("X-Warehouse", "main"),
        "limit": "50",
    }
    warehouse = filters["warehouse"]
    sql = "SELECT sku, qty FROM stock WHERE warehouse = '%s' AND status = 'active'" % warehouse
    rows = sqlite3.connect("stock.db").execute(sql).fetchall()
    return jsonify(rows)
