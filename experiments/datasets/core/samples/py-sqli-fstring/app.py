import sqlite3

from flask import Flask, jsonify, request

app = Flask(__name__)
DB_PATH = "shop.db"


def get_db():
    conn = sqlite3.connect(DB_PATH)
    conn.row_factory = sqlite3.Row
    return conn


@app.route("/products/search")
def search_products():
    term = request.args.get("q", "")
    limit = min(int(request.args.get("limit", 20)), 100)
    conn = get_db()
    try:
        query = f"SELECT id, name, price FROM products WHERE name LIKE '%{term}%' LIMIT {limit}"
        rows = conn.execute(query).fetchall()
    finally:
        conn.close()
    return jsonify([dict(row) for row in rows])
