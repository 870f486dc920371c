"""Order totals from the reporting database."""

import psycopg2
from flask import Flask

app = Flask(__name__)


@app.route("/reports/totals")
def totals():
    conn = psycopg2.connect(host="db.internal.example", dbname="reports", user="report_app", password="Rep0rt!2024")
    with conn, conn.cursor() as cur:
        cur.execute("SELECT sum(total) FROM orders")
        return {"total": float(cur.fetchone()[0] or 0)}
