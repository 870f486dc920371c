import os

import psycopg2
from flask import Flask, jsonify, request

app = Flask(__name__)
PASSWORD_FIELD = "password"
TOKEN_TYPE = "bearer"


def get_connection():
    return psycopg2.connect(
        host=os.environ.get("DB_HOST", "localhost"),
        dbname="accounts",
        user=os.environ["DB_USER"],
        password=os.environ["DB_PASSWORD"],
    )


@app.post("/accounts/verify")
def verify_account():
    form = request.form
    if not form.get(PASSWORD_FIELD):
        return jsonify(error=f"{PASSWORD_FIELD} is required"), 400
    with get_connection() as conn, conn.cursor() as cur:
        cur.execute("SELECT id FROM accounts WHERE email = %s", (form.get("email"),))
        row = cur.fetchone()
    return jsonify(exists=row is not None, token_type=TOKEN_TYPE)
