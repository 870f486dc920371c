"""Order totals from the reporting database, credentials from the environment."""

import os

import psycopg2
from flask import Flask

app = Flask(__name__)


@app.route("/reports/totals/v2")
def totals():
    conn = psycopg2.connect(
        host=os.environ["REPORTS_DB_HOST"],
        dbname="reports",
        user=os.environ["REPORTS_DB_USER"],
        password=os.environ["REPORTS_DB_PASSWORD"],
    )
    with conn, conn.cursor() as cur:
        cur.execute("SELECT sum(total) FROM orders")
        return {"total": float(cur.fetchone()[0] or 0)}
