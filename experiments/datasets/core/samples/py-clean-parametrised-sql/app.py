import sqlite3

from flask import Flask, abort, jsonify, request

app = Flask(__name__)
SORTABLE = {"name": "name", "price": "price", "newest": "created_at DESC"}


@app.get("/products")
def list_products():
    term = request.args.get("q", "")
    order = SORTABLE.get(request.args.get("sort", "name"))
    if order is None:
        abort(400, "unknown sort key")
    conn = sqlite3.connect("shop.db")
    try:
        sql = "SELECT id, name, price FROM products WHERE name LIKE ? ORDER BY " + order
        rows = conn.execute(sql, (f"%{term}%",)).fetchall()
    finally:
        conn.close()
    return jsonify([{"id": r[0], "name": r[1], "price": r[2]} for r in rows])


@app.get("/products/<int:product_id>")
def get_product(product_id):
    conn = sqlite3.connect("shop.db")
    try:
        row = conn.execute(f"SELECT id, name, price FROM products WHERE id = {product_id}").fetchone()
    finally:
        conn.close()
    if row is None:
        abort(404)
    return jsonify(id=row[0], name=row[1], price=row[2])
