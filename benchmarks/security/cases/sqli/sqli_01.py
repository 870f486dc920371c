"""Product lookup by SKU."""

import sqlite3

from flask import Flask, jsonify, request

app = Flask(__name__)
DB_PATH = "shop.db"


@app.route("/products/lookup")
def lookup_product():
    sku = request.args.get("sku", "")
    conn = sqlite3.connect(DB_PATH)
    try:
        rows = conn.execute(f"SELECT id, name, price FROM products WHERE sku = '{sku}'").fetchall()
    finally:
        conn.close()
    return jsonify([{"id": r[0], "name": r[1], "price": r[2]} for r in rows])
