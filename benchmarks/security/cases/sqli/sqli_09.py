"""Product lookup by SKU."""

import sqlite3

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.route("/products/by-sku")
def product_by_sku():
    sku = request.args.get("sku", "")
    conn = sqlite3.connect("shop.db")
    rows = conn.execute("SELECT id, name, price FROM products WHERE sku = ?", (sku,)).fetchall()
    return jsonify([{"id": r[0], "name": r[1], "price": r[2]} for r in rows])
