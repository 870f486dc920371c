"""Invoice detail page."""

import sqlite3

from flask import Flask, abort, jsonify, request

app = Flask(__name__)


@app.route("/invoices")
def invoice():
    try:
        invoice_id = int(request.args.get("id", ""))
    except ValueError:
        abort(400)
    row = (
        sqlite3.connect("billing.db").execute(f"SELECT number, total FROM invoices WHERE id = {invoice_id}").fetchone()
    )
    if row is None:
        abort(404)
    return jsonify({"number": row[0], "total": row[1]})
