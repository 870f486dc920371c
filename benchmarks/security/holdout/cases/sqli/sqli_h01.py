import sqlite3

from flask import Flask, jsonify, request

app = Flask(__name__)


def find_orders(conn, customer):
    sql = f"SELECT id, total, status FROM orders WHERE customer = '{customer}' ORDER BY id DESC"
    return conn.execute(sql).fetchall()


@app.route("/orders")
def orders():
    customer = request.args.get("customer", "")
    if not customer:
        return jsonify(error="customer required"), 400
    conn = sqlite3.connect("shop.db")
    try:
        rows = find_orders(conn, customer.strip())
    finally:
        conn.close()
    return jsonify([{"id": r[0], "total": r[1], "status": r[2]} for r in rows])
