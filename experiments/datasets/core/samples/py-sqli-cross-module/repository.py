import sqlite3


class OrderRepository:
    def __init__(self, path="orders.db"):
        self.path = path

    def find_by_status(self, customer_id, status):
        conn = sqlite3.connect(self.path)
        try:
            sql = "SELECT id, total FROM orders WHERE customer_id = ? AND status = '%s'" % status
            return conn.execute(sql, (customer_id,)).fetchall()
        finally:
            conn.close()

    def count_for(self, customer_id):
        conn = sqlite3.connect(self.path)
        try:
            row = conn.execute("SELECT COUNT(*) FROM orders WHERE customer_id = ?", (customer_id,)).fetchone()
            return row[0]
        finally:
            conn.close()
