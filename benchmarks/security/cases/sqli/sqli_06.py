"""Sales report per region."""

import sqlite3

from fastapi import FastAPI
from helpers_sqli_06 import build_report_query

app = FastAPI()


@app.get("/reports/sales")
def sales_report(region: str):
    conn = sqlite3.connect("reports.db")
    cursor = conn.cursor()
    cursor.execute(build_report_query(region))
    return {"rows": cursor.fetchall()}
