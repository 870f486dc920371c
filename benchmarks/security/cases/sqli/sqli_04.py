"""Order history with a user-chosen sort order remembered in a cookie."""

import sqlite3

from flask import Flask, jsonify, request

app = Flask(__name__)


class OrderRepository:
    def __init__(self, conn):
        self.conn = conn

    def list_orders(self, sort_column):
        query = "SELECT id, total, created_at FROM orders ORDER BY {}".format(sort_column)
        return self.conn.execute(query).fetchall()


@app.route("/orders")
def orders():
    sort = request.cookies.get("order_sort", "created_at")
    repo = OrderRepository(sqlite3.connect("orders.db"))
    return jsonify(repo.list_orders(sort))
